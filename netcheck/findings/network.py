"""Rules for name resolution, the TCP connection and the proxy tunnel."""

from __future__ import annotations

import re
from typing import Any

from netcheck.address_kinds import is_private, is_sinkhole
from netcheck.blockpages import recognise, uncategorised
from netcheck.findings import codes
from netcheck.findings.base import RuleContext, finding
from netcheck.models import (
    OS_RESOLVER,
    DnsObservation,
    Finding,
    Observation,
    Outcome,
    ProxyObservation,
    Target,
)

_DNS_CODES = {
    Outcome.NXDOMAIN: codes.DNS_NXDOMAIN,
    Outcome.NO_ANSWER: codes.DNS_NO_ANSWER,
    Outcome.SERVFAIL: codes.DNS_SERVFAIL,
    Outcome.TIMEOUT: codes.DNS_TIMEOUT,
    Outcome.ERROR: codes.DNS_SERVFAIL,
}
_DNS_WORDS = {
    Outcome.NXDOMAIN: "does not exist (NXDOMAIN)",
    Outcome.NO_ANSWER: "exists but has no A or AAAA record",
    Outcome.SERVFAIL: "could not be resolved: the resolver failed (SERVFAIL/REFUSED)",
    Outcome.TIMEOUT: "could not be resolved: the resolver did not answer in time",
    Outcome.ERROR: "could not be resolved",
}
_TCP_CODES = {
    Outcome.TIMEOUT: codes.TCP_TIMEOUT,
    Outcome.REFUSED: codes.TCP_REFUSED,
    Outcome.RESET: codes.TCP_REFUSED,
    Outcome.UNREACHABLE: codes.TCP_UNREACHABLE,
    Outcome.ERROR: codes.TCP_UNREACHABLE,
}
_TCP_WORDS = {
    codes.TCP_TIMEOUT: "no answer: the packets are dropped",
    codes.TCP_REFUSED: "the connection was refused (TCP reset)",
    codes.TCP_UNREACHABLE: "the address is unreachable",
}


def dns_rules(target: Target, obs: Observation, ctx: RuleContext) -> list[Finding]:
    dns = obs.dns
    if dns is None:
        return []
    resolver = ", ".join(dns.resolver) or "system resolver"
    if obs.via_proxy is not None:
        return []  # the proxy resolves names itself: local answers are evidence, not findings
    findings = _resolvers_differ(target, dns)
    if dns.outcome is not Outcome.OK:
        return [
            finding(
                _DNS_CODES[dns.outcome],
                f"{target.host} {_DNS_WORDS[dns.outcome]} (resolver {resolver})",
                resolver=list(dns.resolver),
                error=dns.error,
                cnames=list(dns.cnames) or None,
                system_addresses=_listed(dns.system_addresses),
            ),
            *findings,
        ]
    sinkholed = [a for a in dns.addresses if is_sinkhole(a)]
    if sinkholed:
        findings.append(
            finding(
                codes.DNS_SINKHOLE,
                f"{target.host} resolves to {', '.join(sinkholed)}: a DNS filter "
                f"blocks it (resolver {resolver})",
                addresses=list(dns.addresses),
                resolver=list(dns.resolver),
            )
        )
    private = [a for a in dns.addresses if is_private(a)]
    if private:
        link = next((c for c in dns.cnames if ".privatelink." in f".{c}"), None)
        via = f" via {link} (Azure Private Link)" if link else ""
        findings.append(
            finding(
                codes.DNS_PRIVATE,
                f"{target.host} resolves to private address {', '.join(private)}{via}",
                addresses=list(dns.addresses),
                cnames=list(dns.cnames),
                privatelink=link,
            )
        )
    return findings


def _resolvers_differ(target: Target, dns: DnsObservation) -> list[Finding]:
    """The worker resolves through the operating system (hosts file, Windows' NRPT, its own
    servers); say when that answer and dnspython's disagree. Round-robin answers overlap, so
    only an answer against none, or two disjoint sets of addresses, count."""
    system = dns.system_addresses
    if system is None or OS_RESOLVER in dns.resolver:
        return []
    ours = set(dns.addresses)
    if (bool(ours) == bool(system)) and (not ours or ours & set(system)):
        return []
    theirs = ", ".join(system) or f"no address ({dns.system_error})"
    mine = ", ".join(dns.addresses) or f"no address ({dns.outcome.value})"
    return [
        finding(
            codes.DNS_RESOLVERS_DIFFER,
            f"{target.host}: the operating system's resolver answers {theirs}; "
            f"the DNS servers ({', '.join(dns.resolver)}) answer {mine}",
            addresses=list(dns.addresses),
            system_addresses=list(system),
            system_error=dns.system_error,
            resolver=list(dns.resolver),
        )
    ]


def _listed(addresses: tuple[str, ...] | None) -> list[str] | None:
    return list(addresses) if addresses is not None else None


def connection_rules(target: Target, obs: Observation, ctx: RuleContext) -> list[Finding]:
    tcp, proxy = obs.tcp, obs.proxy
    if tcp is None:
        return []
    if tcp.outcome is not Outcome.OK:
        # Through a proxy, the TCP step is the connection to the proxy itself.
        if obs.via_proxy is not None:
            return [
                finding(
                    codes.PROXY_UNREACHABLE,
                    f"the proxy {obs.via_proxy} cannot be reached: {tcp.error}",
                    proxy=obs.via_proxy,
                    error=tcp.error,
                    attempts=list(tcp.attempts),
                )
            ]
        code = _TCP_CODES.get(tcp.outcome, codes.TCP_UNREACHABLE)
        return [
            finding(
                code,
                f"TCP {target.port} to {target.host}: {_TCP_WORDS[code]}",
                attempts=list(tcp.attempts),
                error=tcp.error,
            )
        ]
    if proxy is None or proxy.outcome is Outcome.OK:
        return []
    evidence: dict[str, Any] = {
        "proxy": proxy.proxy,
        "status": proxy.status,
        "reason": proxy.reason,
        "error": proxy.error,
    }
    if proxy.outcome is Outcome.AUTH_REQUIRED:
        return [_auth_required(target, obs, proxy)]
    if proxy.status is None:
        return [
            finding(
                codes.PROXY_UNREACHABLE,
                f"the proxy did not answer CONNECT {target.host}:{target.port}: {proxy.error}",
                **evidence,
            )
        ]
    page = (
        recognise(proxy.headers, proxy.body_excerpt, ctx.block_pages) if ctx.block_pages else None
    )
    vendor = page.vendor if page else None
    category = page.category if page else None
    shown = f": {_describe_page(vendor, category, proxy.headers)}" if page else ""
    return [
        finding(
            codes.PROXY_DENIED,
            f"the proxy refused CONNECT {target.host}:{target.port} "
            f"(HTTP {proxy.status} {proxy.reason or ''}".rstrip()
            + f"){shown}",
            _denied_fix(category),
            vendor=vendor,
            category=category,
            **evidence,
        )
    ]


# Microsoft's words on proxy authentication, per worker type: what the worker can answer.
AGENT_PROXY_AUTH = (
    'the agent-based worker (Log Analytics agent): "Both anonymous and basic authentication '
    '(username/password) are supported." '
    "(https://learn.microsoft.com/azure/azure-monitor/agents/log-analytics-agent#proxy-configuration)"
)
EXTENSION_PROXY_AUTH = (
    "the extension-based worker: its proxy settings take only a user name and a password "
    '("ProxySettings" with "UserName" and the protected "ProxyPassword" on Windows, '
    '"Proxy_URL" = "http://username:password@<IP Address>" on Linux) '
    "(https://learn.microsoft.com/azure/automation/extension-based-hybrid-runbook-worker-install)"
)
_SCHEME = re.compile(r"\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:\s+|$)")


def auth_schemes(challenges: str | None) -> list[str]:
    """The schemes of a Proxy-Authenticate value (repeated headers joined with commas):
    'Basic realm="a, b", NTLM, Negotiate' -> ['Basic', 'NTLM', 'Negotiate']."""
    if not challenges:
        return []
    # Quoted strings may hold commas; blank them before splitting into challenge parts.
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', challenges)
    schemes = []
    for part in unquoted.split(","):
        # A scheme is a token followed by a space or nothing; an auth-param of the challenge
        # before (realm="x") is a token followed by "=".
        match = _SCHEME.match(part)
        if match:
            schemes.append(_CANONICAL.get(match.group(1).lower(), match.group(1)))
    return list(dict.fromkeys(schemes))


_CANONICAL = {"basic": "Basic", "ntlm": "NTLM", "negotiate": "Negotiate", "digest": "Digest"}


def _auth_required(target: Target, obs: Observation, proxy: ProxyObservation) -> Finding:
    schemes = auth_schemes(proxy.headers.get("proxy-authenticate"))
    offered = f", offering {', '.join(schemes)}" if schemes else ""
    given = "@" in proxy.proxy  # the redacted URL keeps the user name
    what = "refused the credentials given" if given else "wants credentials"
    fix = None
    if schemes and "Basic" not in schemes:
        fix = (
            f"The proxy offers only {', '.join(schemes)}, and the worker can answer a proxy "
            f"only with a user name and password (Basic). Microsoft documents for "
            f"{AGENT_PROXY_AUTH}; for {EXTENSION_PROXY_AUTH}. Ways out: exempt this host from "
            "proxy authentication by its source address, or give the worker an account the "
            "proxy accepts with Basic authentication."
        )
    return finding(
        codes.PROXY_AUTH_REQUIRED,
        f"the proxy {what} for CONNECT {target.host}:{target.port} (HTTP {proxy.status}{offered})",
        fix,
        proxy=proxy.proxy,
        status=proxy.status,
        reason=proxy.reason,
        error=proxy.error,
        schemes=schemes,
    )


def _describe_page(vendor: str | None, category: str | None, headers: dict[str, str]) -> str:
    who = f"{vendor}'s block page" if vendor else "a block page"
    squid = headers.get("x-squid-error", "").split(" ", 1)[0]
    if squid:
        who += f" ({squid})"
    return who + (f", URL category {category!r}" if category else "")


def _denied_fix(category: str | None) -> str | None:
    if not uncategorised(category):
        return None
    return (
        f"{codes.PROXY_DENIED.fix} The proxy blocks the name as {category!r}: a filter that "
        "blocks uncategorised sites is the classic cause. Allow the Azure domains explicitly, "
        "or have the vendor categorise them."
    )
