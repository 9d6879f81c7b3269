#!/usr/bin/env bash
# Check through an authenticated proxy. The password comes from the environment (or a prompt),
# so it is not in shell history; netcheck prints the proxy as http://user:***@host:port.
set -euo pipefail
: "${PROXY_HOST:=proxy.corp.example}"
: "${PROXY_PORT:=3128}"
: "${PROXY_USER:=svc-hybridworker}"
if [ -z "${PROXY_PASSWORD:-}" ]; then
    read -rsp "Password for ${PROXY_USER}@${PROXY_HOST}: " PROXY_PASSWORD
    echo
fi
# Percent-encode the password so characters such as @ or : survive inside the URL.
encoded=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PROXY_PASSWORD")
export NETCHECK_PROXY="http://${PROXY_USER}:${encoded}@${PROXY_HOST}:${PROXY_PORT}"
exec netcheck check --region "${REGION:-westeurope}" \
    --automation-account-id "${AUTOMATION_ACCOUNT_ID:?set AUTOMATION_ACCOUNT_ID}" "$@"
