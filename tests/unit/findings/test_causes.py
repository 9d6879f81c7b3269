"""Run-level causes and the new per-target distinctions, on hand-built observations (pure)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from netcheck.blockpages import load_signatures, recognise, uncategorised
from netcheck.findings import evaluate, judge_run
from netcheck.findings.causes import counted, root_cause
from netcheck.findings.network import auth_schemes
from netcheck.formats import REPORT_RENDERERS as RENDERERS
from netcheck.formats import Format
from netcheck.models import (
    Deployment,
    DnsObservation,
    Observation,
    Outcome,
    ProxyObservation,
    Severity,
    TargetResult,
    TcpObservation,
    TlsObservation,
    TrustVerdict,
)

from ..builders import (
    CTX,
    DAY,
    GENUINE_CHAIN,
    MS_ROOT_SHA1,
    NOW,
    PROXY,
    ca_cert,
    leaf,
    observed,
    target,
    through_proxy,
    tls_ok,
)
from .test_engine import CORP_CHAIN

CTX_FULL = dataclasses.replace(
    CTX, microsoft_roots=frozenset({MS_ROOT_SHA1}), block_pages=load_signatures()
)


def results(*observations: Observation | None, **target_fields: Any) -> tuple[TargetResult, ...]:
    return tuple(
        evaluate(target(f"h{n}.azure-automation.net", **target_fields), obs, CTX_FULL)
        for n, obs in enumerate(observations)
    )


def dns_failed(outcome: Outcome) -> Observation:
    return Observation(NOW.isoformat(), dns=DnsObservation(outcome, ("10.0.0.53",), error="x"))


def tcp_failed(outcome: Outcome) -> Observation:
    return observed(tcp=TcpObservation(outcome, None, (), outcome.value), tls=None, http=None)


def refused(status: int, **headers: str) -> Observation:
    answer = ProxyObservation(
        Outcome.DENIED if status == 403 else Outcome.AUTH_REQUIRED, PROXY, status, "x", headers
    )
    return through_proxy(proxy=answer, tls=None, http=None)


def cause_of(found: tuple[TargetResult, ...]) -> str | None:
    cause = root_cause(found)
    return cause.finding.code if cause else None


# ---------------------------------------------------------------- root causes


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        (Outcome.NXDOMAIN, "no view of the internet"),
        (Outcome.SERVFAIL, "no view of the internet"),
        (Outcome.TIMEOUT, "is unreachable"),
    ],
)
def test_every_name_failing_alike_is_root_dns(outcome: Outcome, words: str) -> None:
    cause = root_cause(results(dns_failed(outcome), dns_failed(outcome)))
    assert cause is not None and cause.finding.code == "ROOT_DNS"
    assert cause.finding.severity is Severity.FAIL
    assert words in cause.finding.message
    assert cause.finding.evidence["targets"] == [
        "h0.azure-automation.net:443",
        "h1.azure-automation.net:443",
    ]


def test_names_failing_differently_are_no_cause() -> None:
    assert cause_of(results(dns_failed(Outcome.NXDOMAIN), dns_failed(Outcome.TIMEOUT))) is None


def test_one_target_is_never_a_cause() -> None:
    assert cause_of(results(dns_failed(Outcome.TIMEOUT))) is None
    assert cause_of(results(dns_failed(Outcome.TIMEOUT), observed())) is None


def test_canaries_and_revocation_hosts_do_not_count() -> None:
    failing = results(dns_failed(Outcome.TIMEOUT), dns_failed(Outcome.TIMEOUT))
    canary = evaluate(target("x.canary.net", canary=True), observed(), CTX_FULL)
    crl = evaluate(
        target("crl.example", port=80, deployments=frozenset({Deployment.REVOCATION})),
        observed(tls=None),
        CTX_FULL,
    )
    everything = (*failing, canary, crl)
    assert counted(everything) == list(failing)
    assert cause_of(everything) == "ROOT_DNS"


@pytest.mark.parametrize("outcome", [Outcome.TIMEOUT, Outcome.REFUSED, Outcome.UNREACHABLE])
def test_every_connection_blocked_alike_is_egress(outcome: Outcome) -> None:
    assert cause_of(results(tcp_failed(outcome), tcp_failed(outcome))) == "ROOT_EGRESS_BLOCKED"


def test_dropped_and_refused_differ() -> None:
    assert cause_of(results(tcp_failed(Outcome.TIMEOUT), tcp_failed(Outcome.REFUSED))) is None


def test_a_proxy_refusing_every_tunnel_alike_is_root_proxy() -> None:
    same = results(*(refused(407, **{"proxy-authenticate": "NTLM, Negotiate"}),) * 2)
    cause = root_cause(same)
    assert cause is not None and cause.finding.code == "ROOT_PROXY"
    assert cause.finding.evidence["schemes"] == ["NTLM", "Negotiate"]
    assert "Basic" in cause.finding.remediation  # the per-target explanation, once


def test_a_proxy_refusing_with_different_statuses_is_no_cause() -> None:
    assert cause_of(results(refused(403), refused(407))) is None


def test_one_inspection_ca_everywhere_is_root_interception() -> None:
    found = results(observed(tls=tls_ok(CORP_CHAIN)), observed(tls=tls_ok(CORP_CHAIN)))
    cause = root_cause(found)
    assert cause is not None and cause.finding.code == "ROOT_INTERCEPTION"
    assert "Contoso Outbound Inspection CA" in cause.finding.message


def test_interception_and_a_pass_is_no_cause() -> None:
    assert cause_of(results(observed(tls=tls_ok(CORP_CHAIN)), observed())) is None


def redirected(addresses: tuple[str, ...] = ("192.0.2.99",)) -> Observation:
    return observed(
        dns=DnsObservation(Outcome.OK, ("10.0.0.53",), addresses),
        tls=tls_ok(hostname_matches=False),
    )


def test_every_name_and_the_canary_at_one_address_is_a_redirect() -> None:
    found = results(redirected(), redirected())
    canary = evaluate(target("zz.canary.net", canary=True), redirected(), CTX_FULL)
    assert cause_of((*found, canary)) == "ROOT_DNS_REDIRECT"
    assert cause_of(found) is None  # without a canary's answer, nothing proves it
    other = evaluate(target("zz.canary.net", canary=True), redirected(("192.0.2.1",)), CTX_FULL)
    assert cause_of((*found, other)) is None


def test_judge_run_puts_the_cause_first_and_marks_what_it_explains() -> None:
    found = results(tcp_failed(Outcome.REFUSED), tcp_failed(Outcome.REFUSED))
    marked, run_findings = judge_run(found, CTX_FULL)
    assert run_findings[0].code == "ROOT_EGRESS_BLOCKED"
    for result in marked:
        assert result.findings[0].evidence["explained_by"] == "ROOT_EGRESS_BLOCKED"


# ---------------------------------------------------------------- TLS: second attempt


def test_a_handshake_that_only_a_legacy_attempt_completes_is_tls_protocol() -> None:
    tls = TlsObservation(Outcome.RESET, error="connection reset", legacy_version="TLSv1")
    (found,) = evaluate(target(), observed(tls=tls, http=None), CTX_FULL).findings
    assert found.code == "TLS_PROTOCOL" and found.evidence["server_version"] == "TLSv1"
    assert "speaks only TLSv1" in found.message


def test_a_reset_whatever_is_offered_stays_a_reset() -> None:
    tls = TlsObservation(Outcome.RESET, error="connection reset")
    (found,) = evaluate(target(), observed(tls=tls, http=None), CTX_FULL).findings
    assert found.code == "TLS_RESET"


def test_legacy_ciphers_on_tls12_are_named_as_ciphers() -> None:
    tls = TlsObservation(
        Outcome.ERROR,
        error="handshake failure",
        legacy_version="TLSv1.2",
        legacy_cipher="DES-CBC3-SHA",
    )
    (found,) = evaluate(target(), observed(tls=tls, http=None), CTX_FULL).findings
    assert "legacy ciphers" in found.message and "DES-CBC3-SHA" in found.message


# ---------------------------------------------------------------- TLS: stale catalogue, expiry

NEW_CA = "CN=Microsoft TLS RSA Issuing CA 99,O=Microsoft Corporation,C=US"
NEW_CHAIN = (leaf(NEW_CA), ca_cert(NEW_CA, "CN=DigiCert Global Root G2,O=DigiCert Inc", "99" * 20))


def anchored(chain: Any, root_sha1: str) -> TlsObservation:
    verdict = TrustVerdict(
        "certifi", True, None, ("AB" * 20, chain[1].sha1, root_sha1), "CN=DigiCert Global Root G2"
    )
    return dataclasses.replace(tls_ok(chain), trust=(verdict,))


def test_an_unlisted_ca_under_a_listed_root_is_a_stale_catalogue() -> None:
    result = evaluate(target(), observed(tls=anchored(NEW_CHAIN, MS_ROOT_SHA1)), CTX_FULL)
    assert [f.code for f in result.findings] == ["CATALOGUE_STALE"]
    stale = result.findings[0]
    assert stale.severity is Severity.WARN
    assert stale.evidence["sha1"] == "99" * 20 and stale.evidence["root_sha1"] == MS_ROOT_SHA1
    assert "Microsoft TLS RSA Issuing CA 99" in stale.message


def test_an_unlisted_ca_under_an_unlisted_root_is_interception() -> None:
    result = evaluate(target(), observed(tls=anchored(NEW_CHAIN, "77" * 20)), CTX_FULL)
    assert [f.code for f in result.findings] == ["TLS_INTERCEPTED"]


@pytest.mark.parametrize(("days", "warned"), [(10, True), (29, True), (31, False)])
def test_a_leaf_expiring_within_the_window_warns(days: int, warned: bool) -> None:
    chain = (leaf(not_after=NOW + days * DAY), GENUINE_CHAIN[1])
    result = evaluate(target(), observed(tls=tls_ok(chain)), CTX_FULL)
    assert ([f.code for f in result.findings] == ["TLS_EXPIRING"]) is warned


def test_an_intermediate_expiring_is_named_and_the_window_is_a_setting() -> None:
    ca = dataclasses.replace(GENUINE_CHAIN[1], not_after=(NOW + 20 * DAY).isoformat())
    obs = observed(tls=tls_ok((leaf(), ca)))
    (found,) = evaluate(target(), obs, CTX_FULL).findings
    assert found.evidence["certificate"] == "intermediate"
    assert found.evidence["subject"] == ca.subject
    short = dataclasses.replace(CTX_FULL, expiry_warning_days=7)
    assert evaluate(target(), obs, short).findings == ()


# ---------------------------------------------------------------- proxy answers


@pytest.mark.parametrize(
    ("header", "schemes"),
    [
        ('Basic realm="corp, proxy"', ["Basic"]),
        ("NTLM, Negotiate", ["NTLM", "Negotiate"]),
        ('Digest realm="x", qop="auth", nonce="a,b", basic realm="y"', ["Digest", "Basic"]),
        ("Negotiate oYIBzzCCAcugAwIBAqED==", ["Negotiate"]),
        (None, []),
    ],
)
def test_auth_schemes(header: str | None, schemes: list[str]) -> None:
    assert auth_schemes(header) == schemes


def test_a_proxy_without_basic_explains_what_the_worker_can_do() -> None:
    obs = refused(407, **{"proxy-authenticate": "NTLM, Negotiate"})
    (found,) = evaluate(target(), obs, CTX_FULL).findings
    assert found.evidence["schemes"] == ["NTLM", "Negotiate"]
    assert "offering NTLM, Negotiate" in found.message
    assert "Both anonymous and basic authentication" in found.remediation
    assert "source address" in found.remediation


def test_a_proxy_offering_basic_keeps_the_standard_fix() -> None:
    obs = refused(407, **{"proxy-authenticate": 'Basic realm="corp"'})
    (found,) = evaluate(target(), obs, CTX_FULL).findings
    assert "source address" not in found.remediation


SIGNATURES = load_signatures()


@pytest.mark.parametrize(
    ("headers", "page", "vendor", "category"),
    [
        (
            {"x-squid-error": "ERR_ACCESS_DENIED 0"},
            "<p>Generated by x (squid/5.7)</p>",
            "squid",
            None,
        ),
        (
            {"server": "tinyproxy/1.11.1"},
            "Generated by tinyproxy version 1.11.1.",
            "tinyproxy",
            None,
        ),
        (
            {"server": "Zscaler/6.2"},
            "categorized as Miscellaneous or Unknown.",
            "Zscaler",
            "Miscellaneous or Unknown",
        ),
        (
            {},
            "FortiGuard Web Filtering URL: https://a Category: Unrated Client IP: 1",
            "Fortinet",
            "Unrated",
        ),
        (
            {},
            "<b>Check Point</b> UserCheck <p>Category: Uncategorized</p>",
            "Check Point",
            "Uncategorized",
        ),
        ({"server": "BlueCoat-Security-Appliance"}, "", "Symantec / Blue Coat ProxySG", None),
        (
            {},
            "Access to the web page you were trying to visit has been blocked in accordance with "
            "company policy. URL: x Category: unknown",
            "Palo Alto Networks",
            "unknown",
        ),
        ({}, "URL Category: Uncategorized", None, "Uncategorized"),
    ],
)
def test_block_pages(
    headers: dict[str, str], page: str, vendor: str | None, category: str | None
) -> None:
    found = recognise(headers, page, SIGNATURES)
    assert found is not None
    assert (found.vendor, found.category) == (vendor, category)


def test_an_ordinary_answer_is_no_block_page() -> None:
    assert recognise({"server": "nginx"}, "Not Found", SIGNATURES) is None


def test_an_uncategorised_block_says_so() -> None:
    assert uncategorised("Uncategorized") and uncategorised("Unrated") and not uncategorised("News")
    obs = refused(403, server="Zscaler/6.2")
    obs = dataclasses.replace(
        obs,
        proxy=dataclasses.replace(obs.proxy, body_excerpt="URL Category: Uncategorized"),  # type: ignore[arg-type]
    )
    (found,) = evaluate(target(), obs, CTX_FULL).findings
    assert found.evidence["vendor"] == "Zscaler" and found.evidence["category"] == "Uncategorized"
    assert "uncategorised" in found.remediation


# ---------------------------------------------------------------- renderers


def test_the_cause_comes_first_in_table_markdown_and_junit() -> None:
    from netcheck.models import CatalogueRef, Report, RunOptions

    marked, run_findings = judge_run(
        results(tcp_failed(Outcome.TIMEOUT), tcp_failed(Outcome.TIMEOUT)), CTX_FULL
    )
    options = RunOptions(
        region="westeurope",
        cloud="public",
        workspace_id=None,
        automation_account_id=None,
        deployments=("agent",),
        proxy=None,
        dns_server=None,
        timeout=5.0,
        trust=(),
        catalogue=CatalogueRef("regions.yaml", "2025-01-01"),
    )
    report = Report("0", NOW.isoformat(), options, marked, 1.0, run_findings)
    table = RENDERERS.render(report, Format.TABLE)
    assert table.startswith("CAUSE [FAIL] ROOT_EGRESS_BLOCKED")
    assert "explained by ROOT_EGRESS_BLOCKED (above)" in table
    assert table.rstrip().endswith("cause: ROOT_EGRESS_BLOCKED")
    markdown = RENDERERS.render(report, Format.MARKDOWN)
    assert markdown.index("## Cause: FAIL `ROOT_EGRESS_BLOCKED`") < markdown.index("| Status |")
    junit = RENDERERS.render(report, Format.JUNIT)
    assert junit.index('name="ROOT_EGRESS_BLOCKED"') < junit.index('name="dns"')
