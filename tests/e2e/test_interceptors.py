"""TLS interception by real intercepting proxies: mitmproxy (explicit and transparent), squid.

The interceptors run only for the tests that ask for them (fixtures in conftest.py); tests
that need one skip, saying how to install it, when it is not there.
"""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from tests.world import interceptors, plan, scenarios
from tests.world.interceptors import Interceptor
from tests.world.run import CliRun, codes, finding, run_cli, run_json, summary, target
from tests.world.world import SHIPPED_REGION, SHIPPED_WORKSPACE, World

pytestmark = pytest.mark.world

ScenarioRun = tuple[CliRun, dict[str, Any]]

INTERCEPTION_CODES = {"TLS_INTERCEPTED", "TLS_INTERCEPTION_PARTIAL", "CANARY_ANSWERED"}
# Healthy chains, two genuine servers the fw can redirect, and a wildcard zone for a canary.
INTERCEPTION = scenarios.GENUINE + scenarios.TRANSPARENT + scenarios.QUIET_ZONE
GENUINE_HOSTS = sorted(s.host for s in scenarios.GENUINE)
INSPECTED_KNOWN = scenarios.by_label("inspected-known").host
INSPECTED_UNKNOWN = scenarios.by_label("inspected-unknown").host
# In the shipped catalogue (agent worker with Update Management), Microsoft asks to exempt
# these from inspection ...
EXEMPTED = (
    f"{SHIPPED_WORKSPACE}.agentsvc.azure-automation.net",
    f"{SHIPPED_WORKSPACE}.ods.opinsights.azure.com",
)
# ... and not this one.
NOT_EXEMPTED = ("ods.systemcenteradvisor.com",)
ADMIN_NAMED_WORDS = "cannot be identified from the certificate"
OS_TRUSTS = (
    "The operating system trusts this inspection CA, so browsers work, but the agent rejects it"
)


@pytest.fixture(scope="module")
def genuine_catalogue(world: World) -> Path:
    return world.scenario_catalogue("genuine", scenarios.GENUINE)


@pytest.fixture(scope="module")
def interception_catalogue(world: World) -> Path:
    return world.scenario_catalogue("interception", INTERCEPTION)


def check(world: World, catalogue: Path, *args: str, **kw: Any) -> tuple[CliRun, dict[str, Any]]:
    return run_json(world, "--region", "testland", "--catalogue", str(catalogue), *args, **kw)


def run_codes(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"]}


def every_code(report: dict[str, Any]) -> set[str]:
    return run_codes(report).union(*(codes(t) for t in report["targets"]))


def intercepted(entry: dict[str, Any]) -> dict[str, Any]:
    assert entry["status"] == "fail", summary(entry)
    return finding(entry, "TLS_INTERCEPTED")


def ca_subject(ca_pem: Path) -> str:
    return x509.load_pem_x509_certificate(ca_pem.read_bytes()).subject.rfc4514_string()


def with_root(world: World, interceptor: Interceptor, name: str) -> Path:
    """The world's public roots plus the interception root: an enterprise's trust store."""
    return interceptors.bundle(world.folder / name, [world.ca_bundle, interceptor.ca_cert])


# ---------------------------------------------------------------- no interceptor: no finding


def test_healthy_run_with_every_interceptor_off_has_no_interception_finding(
    world: World, interception_catalogue: Path
) -> None:
    """The same endpoints the interception tests use, with no redirect and no proxy: genuine
    RSA, ECC (P-384, under G3) and Microsoft RSA Root 2017 chains all pass, and the canary of a
    wildcard zone with no names gets NXDOMAIN."""
    run, report = check(world, interception_catalogue)
    assert run.exit_code == 0, run.describe()
    assert not every_code(report) & INTERCEPTION_CODES, run.describe()
    for scenario in scenarios.GENUINE + scenarios.TRANSPARENT:
        entry = target(report, scenario.host)
        assert entry["status"] == "pass" and codes(entry) == set(), summary(entry)
    ecc = target(report, scenarios.by_label("ecc").host)["observations"]["tls"]["chain"]
    assert [c["key_type"] for c in ecc] == ["ECDSA secp384r1", "ECDSA secp384r1"], ecc
    msroot = target(report, scenarios.by_label("msroot").host)["observations"]["tls"]["chain"]
    assert "CN=Microsoft RSA Root Certificate Authority 2017" in msroot[-1]["issuer"], msroot
    canary = next(t for t in report["targets"] if t["canary"])
    assert canary["status"] == "pass", summary(canary)
    assert canary["observations"]["dns"]["outcome"] == "nxdomain", summary(canary)


# ---------------------------------------------------------------- mitmproxy, explicit proxy


def test_explicit_mitmproxy_is_named_by_its_own_ca(
    world: World, genuine_catalogue: Path, mitm_known: Interceptor
) -> None:
    run, report = check(world, genuine_catalogue, "--proxy", mitm_known.proxy_url)
    assert run.exit_code == 1, run.describe()
    for host in GENUINE_HOSTS:
        entry = target(report, host)
        evidence = intercepted(entry)["evidence"]
        assert evidence["interceptor"] == "mitmproxy", evidence
        assert evidence["issuer"] == "O=mitmproxy,CN=mitmproxy", evidence
        # mitmproxy presents the forged leaf alone, never its CA
        assert len(entry["observations"]["tls"]["chain"]) == 1, summary(entry)
        assert entry["observations"]["proxy"]["status"] == 200, summary(entry)
    # every endpoint is intercepted: that is not partial interception
    assert "TLS_INTERCEPTION_PARTIAL" not in run_codes(report), report["findings"]


def test_explicit_mitmproxy_with_an_unknown_ca_names_the_issuer_not_a_product(
    world: World, genuine_catalogue: Path, mitm_unknown: Interceptor
) -> None:
    run, report = check(world, genuine_catalogue, "--proxy", mitm_unknown.proxy_url)
    assert run.exit_code == 1, run.describe()
    for host in GENUINE_HOSTS:
        found = intercepted(target(report, host))
        assert found["evidence"]["interceptor"] is None, found
        assert found["evidence"]["issuer"] == ca_subject(mitm_unknown.ca_cert), found
        assert interceptors.UNKNOWN_CA[0] in found["message"], found
        assert ADMIN_NAMED_WORDS in found["remediation"], found


# ---------------------------------------------------------------- mitmproxy, transparent


def test_transparent_redirect_of_some_endpoints_is_partial_interception(
    world: World,
    interception_catalogue: Path,
    mitm_known: Interceptor,
    mitm_unknown: Interceptor,
) -> None:
    """The fw redirects TCP 443 of two addresses to mitmdump; no proxy is configured."""
    assert mitm_known.transparent_port and mitm_unknown.transparent_port
    with interceptors.redirected(
        {
            plan.INSPECTED_KNOWN: mitm_known.transparent_port,
            plan.INSPECTED_UNKNOWN: mitm_unknown.transparent_port,
        }
    ):
        run, report = check(world, interception_catalogue)
    assert run.exit_code == 1, run.describe()
    known = target(report, INSPECTED_KNOWN)
    assert intercepted(known)["evidence"]["interceptor"] == "mitmproxy", summary(known)
    assert known["observations"]["proxy"] is None, summary(known)
    unknown = target(report, INSPECTED_UNKNOWN)
    assert intercepted(unknown)["evidence"]["interceptor"] is None, summary(unknown)
    assert intercepted(unknown)["evidence"]["issuer"] == ca_subject(mitm_unknown.ca_cert)
    for host in GENUINE_HOSTS:
        entry = target(report, host)
        assert entry["status"] == "pass", summary(entry)
    partial = [f for f in report["findings"] if f["code"] == "TLS_INTERCEPTION_PARTIAL"]
    assert len(partial) == 1, report["findings"]
    assert partial[0]["evidence"]["intercepted"] == sorted([INSPECTED_KNOWN, INSPECTED_UNKNOWN])
    assert partial[0]["evidence"]["not_intercepted"] == GENUINE_HOSTS, partial[0]


# ---------------------------------------------------------------- squid ssl-bump


def test_squid_ssl_bump_is_intercepted_and_named(
    world: World, genuine_catalogue: Path, squid_bump: Interceptor
) -> None:
    run, report = check(world, genuine_catalogue, "--proxy", squid_bump.proxy_url)
    assert run.exit_code == 1, run.describe()
    for host in GENUINE_HOSTS:
        entry = target(report, host)
        evidence = intercepted(entry)["evidence"]
        assert evidence["interceptor"] == "Squid", evidence
        assert evidence["issuer"] == ca_subject(squid_bump.ca_cert), evidence
        # squid answered the request itself after bumping: its Via header says so
        assert "squid" in entry["observations"]["http"]["headers"].get("via", ""), summary(entry)
        # squid's chain shape: the forged leaf, then its CA twice
        subject = ca_subject(squid_bump.ca_cert)
        assert [c["subject"] for c in evidence["chain"][1:]] == [subject, subject], evidence
    # the forgery is RSA even where Microsoft's own leaf is ECDSA (P-384)
    ecc = intercepted(target(report, scenarios.by_label("ecc").host))["evidence"]["chain"]
    assert ecc[0]["key_type"] == "RSA 2048", ecc


# ---------------------------------------------------------------- forged Microsoft names


def test_forged_microsoft_chain_reason_names_the_thumbprint(
    scenario_run: ScenarioRun, world: World
) -> None:
    """Microsoft's CA names copied under a root nobody trusts: the thumbprint gives it away."""
    entry = target(scenario_run[1], scenarios.by_label("forged").host)
    evidence = intercepted(entry)["evidence"]
    reason = evidence["reason"]
    assert "forged" in reason and "thumbprint" in reason, evidence
    assert world.authorities.forged_azure_rsa.sha1 in reason, evidence
    assert evidence["interceptor"] is None, evidence
    assert not any(v["trusted"] for v in evidence["trust"]), evidence


# ---------------------------------------------------------------- the enterprise case


def test_inspection_root_in_the_ca_bundle_is_still_interception(
    world: World, genuine_catalogue: Path, mitm_unknown: Interceptor
) -> None:
    bundle = with_root(world, mitm_unknown, "enterprise-ca-bundle.pem")
    run, report = check(
        world, genuine_catalogue, "--proxy", mitm_unknown.proxy_url, "--ca-bundle", str(bundle)
    )
    assert run.exit_code == 1, run.describe()
    for host in GENUINE_HOSTS:
        entry = target(report, host)
        found = intercepted(entry)
        verdicts = {v["store"]: v["trusted"] for v in found["evidence"]["trust"]}
        assert verdicts["--ca-bundle"] is True and verdicts["certifi"] is False, found
        assert "TLS_UNTRUSTED" not in codes(entry), summary(entry)
        assert "Trusted by: --ca-bundle" in found["message"], found


def test_inspection_root_the_operating_system_trusts_is_said_so(
    world: World, genuine_catalogue: Path, mitm_unknown: Interceptor
) -> None:
    """SSL_CERT_FILE is the system store netcheck reads: an enterprise-managed root there."""
    system = with_root(world, mitm_unknown, "enterprise-system-store.pem")
    run, report = check(
        world,
        genuine_catalogue,
        "--proxy",
        mitm_unknown.proxy_url,
        env={"SSL_CERT_FILE": str(system)},
    )
    assert run.exit_code == 1, run.describe()
    for host in GENUINE_HOSTS:
        found = intercepted(target(report, host))
        verdicts = {v["store"]: v["trusted"] for v in found["evidence"]["trust"]}
        assert verdicts == {"--ca-bundle": False, "certifi": False, "system": True}, found
        assert OS_TRUSTS in found["message"], found


# ---------------------------------------------------------------- canaries through proxies


def test_canary_through_mitmproxy_in_a_zone_that_answers_everything(
    world: World, mitm_known: Interceptor
) -> None:
    """mitmproxy connects first (eager): the proxy's resolver answers the canary's name, so
    mitmproxy opens the tunnel and forges a certificate for the name, although the server's
    own certificate does not cover it; it then answers 502 itself. TLS completed for a name
    that cannot exist: the canary fires."""
    catalogue = world.scenario_catalogue("canary", scenarios.CANARY)
    run, report = check(world, catalogue, "--proxy", mitm_known.proxy_url)
    canary = next(t for t in report["targets"] if t["canary"])
    evidence = finding(canary, "CANARY_ANSWERED")["evidence"]
    assert evidence["issuer"] == "O=mitmproxy,CN=mitmproxy", run.describe()
    assert evidence["http_status"] == 502, evidence
    assert evidence["via_proxy"] == mitm_known.proxy_url, evidence


def test_canary_through_mitmproxy_in_a_zone_without_the_name_stays_quiet(
    world: World, interception_catalogue: Path, mitm_known: Interceptor
) -> None:
    """Where the name does not resolve, mitmproxy refuses the tunnel (502 to CONNECT)."""
    report = check(world, interception_catalogue, "--proxy", mitm_known.proxy_url)[1]
    canary = next(t for t in report["targets"] if t["canary"])
    assert codes(canary) == set(), summary(canary)
    assert canary["observations"]["proxy"]["status"] == 502, summary(canary)


def test_canary_through_squid_bump_fires_even_without_the_name(
    world: World, interception_catalogue: Path, squid_bump: Interceptor
) -> None:
    """squid accepts CONNECT before resolving, and bumps the client to show its error page
    (502) when the name does not resolve: TLS completes for any name, so the canary fires.
    That is what an accept-everything proxy looks like."""
    run, report = check(world, interception_catalogue, "--proxy", squid_bump.proxy_url)
    canary = next(t for t in report["targets"] if t["canary"])
    evidence = finding(canary, "CANARY_ANSWERED")["evidence"]
    assert evidence["issuer"] == ca_subject(squid_bump.ca_cert), run.describe()
    assert evidence["http_status"] == 502, evidence


# ---------------------------------------------------------------- evidence


def test_intercepted_target_carries_evidence_a_person_can_compare(
    world: World, genuine_catalogue: Path, mitm_unknown: Interceptor
) -> None:
    run, report = check(world, genuine_catalogue, "--proxy", mitm_unknown.proxy_url)
    assert run.exit_code == 1, run.describe()
    auth = world.authorities
    microsoft = sorted(ca.common_name for ca in (auth.azure_rsa, auth.azure_ecc, auth.azure_rsa_ms))
    for host in GENUINE_HOSTS:
        entry = target(report, host)
        evidence = intercepted(entry)["evidence"]
        presented = entry["observations"]["tls"]["chain"]
        assert len(evidence["chain"]) == len(presented) >= 1, evidence
        for brief, full in zip(evidence["chain"], presented, strict=True):
            assert set(brief) == {
                "subject",
                "issuer",
                "sha1",
                "sha256",
                "not_before",
                "not_after",
                "key_type",
            }, brief
            der = ssl.PEM_cert_to_DER_cert(full["pem"])
            assert brief["sha1"] == hashlib.sha1(der).hexdigest().upper(), brief
            assert brief["sha256"] == hashlib.sha256(der).hexdigest().upper(), brief
            assert brief["key_type"].startswith(("RSA ", "ECDSA ")), brief
        assert evidence["chain"][0]["issuer"] == ca_subject(mitm_unknown.ca_cert)
        assert evidence["microsoft_issuers"] == microsoft, evidence
        assert evidence["bypass"] == GENUINE_HOSTS, evidence


def test_table_report_names_the_issuer_of_each_intercepted_target(
    world: World, genuine_catalogue: Path, mitm_unknown: Interceptor
) -> None:
    run = run_cli(
        world,
        "--region",
        "testland",
        "--catalogue",
        str(genuine_catalogue),
        "--proxy",
        mitm_unknown.proxy_url,
    )
    assert run.exit_code == 1, run.describe()
    # the report wraps at 100 columns: compare words, not lines
    words = " ".join(run.stdout.split())
    for host in GENUINE_HOSTS:
        assert f"{host}: TLS is intercepted" in words, run.describe()
    assert words.count(f"the issuer {interceptors.UNKNOWN_CA[0]!r}") == len(GENUINE_HOSTS), (
        run.describe()
    )


def test_bypass_list_for_the_shipped_catalogue_is_the_inspection_exemptions(
    world: World, mitm_known: Interceptor
) -> None:
    """Through mitmproxy every name is intercepted, including the ones Microsoft does not ask
    to exempt (ods.systemcenteradvisor.com): the bypass list holds only those it asks for."""
    run, report = run_json(
        world,
        "--region",
        SHIPPED_REGION,
        "--workspace-id",
        SHIPPED_WORKSPACE,
        "--update-management",
        "--catalogue",
        str(world.shipped_catalogue()),
        "--proxy",
        mitm_known.proxy_url,
    )
    assert run.exit_code == 1, run.describe()
    https = [t for t in report["targets"] if t["port"] == 443 and t["status"] != "skip"]
    real = [t for t in https if not t["canary"]]
    assert real, run.describe()
    bypass_lists = {tuple(intercepted(t)["evidence"]["bypass"]) for t in real}
    assert len(bypass_lists) == 1, bypass_lists
    bypass = list(bypass_lists.pop())
    wildcards = [b for b in bypass if b.startswith("*.")]
    assert bypass[: len(wildcards)] == wildcards, bypass
    assert "*.azure-automation.net" in bypass, bypass
    probed = {t["host"] for t in real}
    for host in (*EXEMPTED, *NOT_EXEMPTED):
        assert host in probed, run.describe()
    for host in EXEMPTED:
        assert covered(host, bypass), bypass
    for host in NOT_EXEMPTED:
        assert not covered(host, bypass), bypass


def covered(host: str, bypass: list[str]) -> bool:
    return any(host == b or (b.startswith("*.") and host.endswith(b[1:])) for b in bypass)
