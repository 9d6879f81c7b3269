"""`netcheck rules` output through the real parsers: squid, nft, iptables-restore, Node.js.

Each test skips, saying which Debian package is missing, when its tool is not installed. The
netfilter checks run in a throwaway network namespace (ncr-*), so the host's tables are never
read or written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TAGS = REPO / "tests" / "unit" / "data" / "ServiceTags_Public_20250630.json"
LEGACY_XML = REPO / "tests" / "unit" / "data" / "PublicIPs_20200824.xml"
SMALL_CATALOGUE = REPO / "tests" / "unit" / "data" / "rules-catalogue.yaml"
WORKSPACE = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
ACCOUNT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
# The shipped catalogue with everything switched on: both worker types, Update Management,
# the port-80 revocation hosts.
SHIPPED = (
    "--region",
    "westeurope",
    "--workspace-id",
    WORKSPACE,
    "--automation-account-id",
    ACCOUNT,
    "--update-management",
    "--include-revocation",
)
SMALL = ("--region", "testregion", "--catalogue", str(SMALL_CATALOGUE), "--include-revocation")
SELECTIONS = {"shipped": SHIPPED, "small": SMALL}
PACKAGES = {
    "squid": "squid",
    "nft": "nftables",
    "iptables-restore": "iptables",
    "ip6tables-restore": "iptables",
    "node": "nodejs",
    "ip": "iproute2",
}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package {PACKAGES[name]})")
    return path


def rules(*args: str) -> str:
    """The real CLI's output; NETCHECK_* variables of the caller do not leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCHECK_")}
    done = subprocess.run(
        [sys.executable, "-m", "netcheck", "rules", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def namespace() -> Iterator[str]:
    """An empty network namespace of our own, deleted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("checking netfilter rules needs root (a throwaway network namespace)")
    ip = tool("ip")
    name = f"ncr-parse-{os.getpid()}"
    subprocess.run([ip, "netns", "add", name], check=True, capture_output=True)
    try:
        yield name
    finally:
        subprocess.run([ip, "netns", "del", name], check=False, capture_output=True)


def in_namespace(namespace: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", namespace, *argv], capture_output=True, text=True, timeout=60
    )


# ---------------------------------------------------------------- squid


def squid_conf(folder: Path, acl_file: Path) -> Path:
    """A minimal squid.conf around the generated lines, as the docs tell users to place them."""
    conf = folder / "squid.conf"
    conf.write_text(
        "\n".join(
            [
                "http_port 127.0.0.1:3128",
                f"include {acl_file}",
                "http_access deny all",
                "cache deny all",
                "pid_filename none",
                "access_log none",
                "cache_log /dev/null",
            ]
        )
        + "\n"
    )
    return conf


@pytest.mark.parametrize("selection", sorted(SELECTIONS))
def test_squid_parses_the_acls_without_a_warning(tmp_path: Path, selection: str) -> None:
    squid = tool("squid")
    acl_file = tmp_path / "netcheck-hrw.conf"
    acl_file.write_text(rules(*SELECTIONS[selection], "--format", "squid"))
    done = subprocess.run(
        [squid, "-k", "parse", "-f", str(squid_conf(tmp_path, acl_file))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Processing: acl netcheck_hrw_443 dstdomain .azure-automation.net" in output
    problems = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- netfilter


@pytest.mark.parametrize("tags", [TAGS, LEGACY_XML], ids=["service-tags", "legacy-xml"])
def test_nft_checks_the_table(namespace: str, tmp_path: Path, tags: Path) -> None:
    nft = tool("nft")
    path = tmp_path / "netcheck-hrw.nft"
    path.write_text(rules(*SHIPPED, "--format", "nftables", "--service-tags", str(tags)))
    done = in_namespace(namespace, nft, "-c", "-f", str(path))
    assert done.returncode == 0, done.stderr
    assert "@tcp443_v4" in path.read_text()


def test_nft_checks_the_table_of_the_small_catalogue(namespace: str, tmp_path: Path) -> None:
    nft = tool("nft")
    path = tmp_path / "netcheck-hrw.nft"
    path.write_text(rules(*SMALL, "--format", "nftables", "--service-tags", str(TAGS)))
    done = in_namespace(namespace, nft, "-c", "-f", str(path))
    assert done.returncode == 0, done.stderr
    assert "@tcp443_v6" in path.read_text()


@pytest.mark.parametrize(
    ("fmt", "restore"), [("iptables", "iptables-restore"), ("ip6tables", "ip6tables-restore")]
)
def test_iptables_restore_accepts_the_rules(
    namespace: str, tmp_path: Path, fmt: str, restore: str
) -> None:
    command = tool(restore)
    path = tmp_path / f"netcheck-hrw.{fmt}"
    text = rules(*SHIPPED, "--format", fmt, "--service-tags", str(TAGS))
    path.write_text(text)
    assert text.count("-j ACCEPT") >= 2
    done = in_namespace(namespace, command, "--test", str(path))
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- PAC

# The PAC helper functions a browser or WinHTTP provides, enough for any generated PAC.
PAC_HARNESS = r"""
const fs = require("fs");
const vm = require("vm");
const [pacFile, ...hosts] = process.argv.slice(2);
const glob = (p) => new RegExp("^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&")
  .replace(/\*/g, ".*").replace(/\?/g, ".") + "$");
const sandbox = {
  dnsDomainIs: (host, domain) =>
    host.length >= domain.length && host.substring(host.length - domain.length) === domain,
  shExpMatch: (str, pattern) => glob(pattern).test(str),
  isPlainHostName: (host) => host.indexOf(".") === -1,
  localHostOrDomainIs: (host, hostdom) => host === hostdom || hostdom.startsWith(host + "."),
  dnsDomainLevels: (host) => host.split(".").length - 1,
  isResolvable: () => { throw new Error("the PAC must not resolve names"); },
  dnsResolve: () => { throw new Error("the PAC must not resolve names"); },
  isInNet: () => { throw new Error("the PAC must not resolve names"); },
  myIpAddress: () => "192.0.2.10",
  weekdayRange: () => true,
  dateRange: () => true,
  timeRange: () => true,
  alert: () => {},
};
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(pacFile, "utf8"), sandbox, { filename: pacFile });
const answers = {};
for (const host of hosts) answers[host] = sandbox.FindProxyForURL("https://" + host + "/", host);
process.stdout.write(JSON.stringify(answers));
"""
REQUIRED = (
    "we-jobruntimedata-prod-su1.azure-automation.net",
    f"{ACCOUNT}.jrds.we.azure-automation.net",
    f"{WORKSPACE}.ods.opinsights.azure.com",
    "anything.blob.core.windows.net",
    "login.microsoftonline.com",
    "LOGIN.MicrosoftOnline.com",
    "www.microsoft.com",
)
UNRELATED = (
    "www.example.org",
    "azure-automation.net.example.org",
    "notazure-automation.net",
    "microsoftonline.com",
)


def evaluate_pac(tmp_path: Path, pac: str, hosts: tuple[str, ...]) -> dict[str, str]:
    node = tool("node")
    pac_file = tmp_path / "proxy.pac"
    pac_file.write_text(pac)
    harness = tmp_path / "harness.js"
    harness.write_text(PAC_HARNESS)
    done = subprocess.run(
        [node, str(harness), str(pac_file), *hosts], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    answers: dict[str, str] = json.loads(done.stdout)
    return answers


def test_pac_sends_required_hosts_through_the_proxy_and_others_direct(tmp_path: Path) -> None:
    pac = rules(*SHIPPED, "--format", "pac", "--pac-proxy", "proxy.corp.example:3128")
    answers = evaluate_pac(tmp_path, pac, REQUIRED + UNRELATED)
    assert {h: answers[h] for h in REQUIRED} == dict.fromkeys(
        REQUIRED, "PROXY proxy.corp.example:3128"
    )
    assert {h: answers[h] for h in UNRELATED} == dict.fromkeys(UNRELATED, "DIRECT")


def test_pac_without_a_proxy_sends_the_destinations_direct(tmp_path: Path) -> None:
    answers = evaluate_pac(tmp_path, rules(*SHIPPED, "--format", "pac"), REQUIRED[:1])
    assert answers == {REQUIRED[0]: "DIRECT"}
