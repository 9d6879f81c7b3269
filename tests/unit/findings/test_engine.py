"""The rule engine on hand-built observations.

Each code comes as a pair, in the spirit of ruff's rule fixtures: an observation that must
raise it and a close one that must not. Then the status logic, the interception decision,
doubtful records and the proxy path.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from netcheck.expand import Selection, deployments_for, expand, find_region, probe_targets
from netcheck.findings import context_for, evaluate
from netcheck.findings.base import RuleContext
from netcheck.findings.codes import CODES
from netcheck.models import (
    Catalogue,
    Deployment,
    DnsObservation,
    HttpObservation,
    Observation,
    Outcome,
    ProxyObservation,
    Severity,
    Status,
    TargetResult,
    TcpObservation,
    TlsObservation,
    overall_status,
)

from ..builders import (
    CTX,
    DAY,
    DNS_OK,
    GENUINE_CHAIN,
    HOST,
    HTTP_OK,
    MS_INTERMEDIATE_SHA1,
    MS_ISSUER,
    MS_ROOT,
    NOW,
    PROXY,
    ca_cert,
    leaf,
    observed,
    target,
    through_proxy,
    tls_ok,
)

ZSCALER_CA = "CN=Zscaler Intermediate Root CA (zscaler.net) (t),OU=Zscaler Inc.,O=Zscaler Inc.,C=US"
ZSCALER_CHAIN = (
    leaf(ZSCALER_CA),
    ca_cert(ZSCALER_CA, "CN=Zscaler Root CA,O=Zscaler Inc.,C=US", "11" * 20),
)
MITM_CA = "CN=mitmproxy,O=mitmproxy"
CORP_CA = "CN=Contoso Outbound Inspection CA,O=Contoso Ltd,C=US"
CORP_CHAIN = (leaf(CORP_CA), ca_cert(CORP_CA, "CN=Contoso Root,O=Contoso Ltd", "22" * 20))
FORGED_MS_CHAIN = (leaf(), ca_cert(MS_ISSUER, MS_ROOT, "33" * 20))
SELF_SIGNED = (leaf(f"CN={HOST}"),)  # issued by itself

ISSUE_TABLE = {
    "DNS_NXDOMAIN": Severity.FAIL,
    "DNS_NO_ANSWER": Severity.FAIL,
    "DNS_SERVFAIL": Severity.FAIL,
    "DNS_TIMEOUT": Severity.FAIL,
    "DNS_SINKHOLE": Severity.FAIL,
    "DNS_PRIVATE": Severity.INFO,
    "TCP_TIMEOUT": Severity.FAIL,
    "TCP_REFUSED": Severity.FAIL,
    "TCP_UNREACHABLE": Severity.FAIL,
    "PROXY_UNREACHABLE": Severity.FAIL,
    "PROXY_AUTH_REQUIRED": Severity.FAIL,
    "PROXY_DENIED": Severity.FAIL,
    "TLS_INTERCEPTED": Severity.FAIL,
    "TLS_UNTRUSTED": Severity.FAIL,
    "TLS_HOSTNAME_MISMATCH": Severity.FAIL,
    "TLS_EXPIRED": Severity.FAIL,
    "TLS_PROTOCOL": Severity.FAIL,
    "TLS_RESET": Severity.FAIL,
    "TLS_TIMEOUT": Severity.FAIL,
    "HTTP_ERROR": Severity.FAIL,
}


def judge(obs: Observation | None, ctx: RuleContext = CTX, **target_fields: Any) -> TargetResult:
    return evaluate(target(**target_fields), obs, ctx)


def codes(obs: Observation, ctx: RuleContext = CTX, **target_fields: Any) -> list[str]:
    return [f.code for f in judge(obs, ctx, **target_fields).findings]


def dns(outcome: Outcome, *addresses: str, cnames: tuple[str, ...] = ()) -> DnsObservation:
    return DnsObservation(
        outcome, ("10.255.0.53",), addresses, cnames, None if addresses else outcome.value
    )


def stopped_at_dns(outcome: Outcome) -> Observation:
    return Observation(NOW.isoformat(), dns=dns(outcome))


def stopped_at_tcp(outcome: Outcome) -> Observation:
    tcp = TcpObservation(outcome, None, (f"20.50.2.1: {outcome.value}",), outcome.value)
    return Observation(NOW.isoformat(), dns=DNS_OK, tcp=tcp)


def stopped_at_tls(outcome: Outcome) -> Observation:
    tls = TlsObservation(outcome, error=f"handshake {outcome.value}")
    return observed(tls=tls, http=None)


def resolved_to(*addresses: str, cnames: tuple[str, ...] = ()) -> Observation:
    return observed(dns=dns(Outcome.OK, *addresses, cnames=cnames))


def tunnel(outcome: Outcome, status: int | None, reason: str | None = None) -> Observation:
    refusal = ProxyObservation(outcome, PROXY, status, reason, error=None if status else "reset")
    return through_proxy(proxy=refusal, tls=None, http=None)


def http(status: int, reason: str = "", **headers: str) -> Observation:
    return observed(http=HttpObservation(Outcome.OK, status, reason, headers))


# ---------------------------------------------------------------- the registry


def test_every_code_of_the_issue_is_registered_with_its_severity() -> None:
    for code, severity in ISSUE_TABLE.items():
        assert CODES[code].severity is severity, code
        assert CODES[code].why and CODES[code].fix and CODES[code].docs


# ---------------------------------------------------------------- pass/fail pairs

FAILING = {
    "DNS_NXDOMAIN": stopped_at_dns(Outcome.NXDOMAIN),
    "DNS_NO_ANSWER": stopped_at_dns(Outcome.NO_ANSWER),
    "DNS_SERVFAIL": stopped_at_dns(Outcome.SERVFAIL),
    "DNS_TIMEOUT": stopped_at_dns(Outcome.TIMEOUT),
    "DNS_SINKHOLE": resolved_to("0.0.0.0"),
    "DNS_PRIVATE": resolved_to("10.1.2.3"),
    "TCP_TIMEOUT": stopped_at_tcp(Outcome.TIMEOUT),
    "TCP_REFUSED": stopped_at_tcp(Outcome.REFUSED),
    "TCP_UNREACHABLE": stopped_at_tcp(Outcome.UNREACHABLE),
    "PROXY_UNREACHABLE": through_proxy(
        proxy=None,
        tcp=TcpObservation(Outcome.REFUSED, None, (), "Connection refused"),
        tls=None,
        http=None,
    ),
    "PROXY_AUTH_REQUIRED": tunnel(Outcome.AUTH_REQUIRED, 407, "Proxy Authentication Required"),
    "PROXY_DENIED": tunnel(Outcome.DENIED, 403, "Forbidden"),
    "TLS_INTERCEPTED": observed(tls=tls_ok(CORP_CHAIN)),
    "TLS_UNTRUSTED": observed(tls=tls_ok(trusted=False)),
    "TLS_HOSTNAME_MISMATCH": observed(tls=tls_ok(hostname_matches=False)),
    "TLS_EXPIRED": observed(
        tls=tls_ok((leaf(not_before=NOW - 400 * DAY, not_after=NOW - DAY), GENUINE_CHAIN[1]))
    ),
    "TLS_PROTOCOL": stopped_at_tls(Outcome.PROTOCOL),
    "TLS_RESET": stopped_at_tls(Outcome.RESET),
    "TLS_TIMEOUT": stopped_at_tls(Outcome.TIMEOUT),
    "HTTP_ERROR": observed(http=HttpObservation(Outcome.ERROR, error="connection closed")),
}

# The closest observation that must not raise the code.
PASSING = {
    "DNS_NXDOMAIN": observed(),
    "DNS_NO_ANSWER": resolved_to("2603:1020:203:3::15"),  # only AAAA is an answer too
    "DNS_SERVFAIL": observed(),
    "DNS_TIMEOUT": observed(),
    "DNS_SINKHOLE": resolved_to("20.50.2.1", "128.0.0.1"),
    "DNS_PRIVATE": resolved_to("100.64.0.1"),  # shared address space, not RFC 1918
    "TCP_TIMEOUT": observed(),
    "TCP_REFUSED": observed(),
    "TCP_UNREACHABLE": observed(),
    "PROXY_UNREACHABLE": through_proxy(),
    "PROXY_AUTH_REQUIRED": through_proxy(),
    "PROXY_DENIED": through_proxy(),
    "TLS_INTERCEPTED": observed(),
    "TLS_UNTRUSTED": observed(),
    "TLS_HOSTNAME_MISMATCH": observed(),
    "TLS_EXPIRED": observed(tls=tls_ok((leaf(not_after=NOW + DAY), GENUINE_CHAIN[1]))),
    "TLS_PROTOCOL": observed(),
    "TLS_RESET": observed(),
    "TLS_TIMEOUT": observed(),
    "HTTP_ERROR": http(401, "Unauthorized"),  # Azure's own answer to an anonymous request
}


def test_every_code_has_a_pair() -> None:
    assert set(FAILING) == set(PASSING) == set(ISSUE_TABLE)


@pytest.mark.parametrize("code", sorted(FAILING))
def test_raises_its_code(code: str) -> None:
    result = judge(FAILING[code])
    assert code in [f.code for f in result.findings]
    found = next(f for f in result.findings if f.code == code)
    assert found.severity is ISSUE_TABLE[code]
    assert found.message and found.remediation
    expected = Status.PASS if ISSUE_TABLE[code] is Severity.INFO else Status.FAIL
    assert result.status is expected


@pytest.mark.parametrize("code", sorted(PASSING))
def test_does_not_raise_its_code(code: str) -> None:
    assert code not in codes(PASSING[code])


def test_the_working_path_passes_without_findings() -> None:
    result = judge(observed())
    assert result.findings == ()
    assert result.status is Status.PASS


# ---------------------------------------------------------------- more fail cases per rule


@pytest.mark.parametrize("address", ["0.0.0.0", "127.0.0.1", "127.3.2.1", "::", "::1"])
def test_sinkhole_addresses(address: str) -> None:
    assert codes(resolved_to(address)) == ["DNS_SINKHOLE"]


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "172.16.0.9", "172.31.255.1", "192.168.1.1", "fd00::5"]
)
def test_private_addresses_are_info(address: str) -> None:
    result = judge(resolved_to(address))
    assert [(f.code, f.severity) for f in result.findings] == [("DNS_PRIVATE", Severity.INFO)]
    assert result.status is Status.PASS


def test_private_answer_names_the_privatelink_cname() -> None:
    cname = "acct.agentsvc.privatelink.azure-automation.net"
    result = judge(resolved_to("10.1.2.3", cnames=(cname,)))
    (found,) = result.findings
    assert found.evidence["privatelink"] == cname
    assert cname in found.message


def test_dns_failure_evidence_names_the_resolver() -> None:
    (found,) = judge(stopped_at_dns(Outcome.NXDOMAIN)).findings
    assert found.evidence["resolver"] == ["10.255.0.53"]
    assert "10.255.0.53" in found.message


def test_tcp_reset_is_refused() -> None:
    assert codes(stopped_at_tcp(Outcome.RESET)) == ["TCP_REFUSED"]


def test_proxy_answering_401_wants_credentials() -> None:
    assert codes(tunnel(Outcome.AUTH_REQUIRED, 401, "Unauthorized")) == ["PROXY_AUTH_REQUIRED"]


def test_proxy_closing_the_connect_is_unreachable() -> None:
    assert codes(tunnel(Outcome.RESET, None)) == ["PROXY_UNREACHABLE"]


def test_proxy_unreachable_names_the_redacted_proxy() -> None:
    (found,) = judge(FAILING["PROXY_UNREACHABLE"]).findings
    assert found.evidence["proxy"] == PROXY


@pytest.mark.parametrize(
    "obs",
    [
        http(407, "Proxy Authentication Required"),
        http(511, "Network Authentication Required"),
        http(403, "Forbidden", **{"x-squid-error": "ERR_ACCESS_DENIED 0"}),
    ],
    ids=["407", "511", "squid-block-page"],
)
def test_middlebox_answers_are_http_errors(obs: Observation) -> None:
    result = judge(obs)
    assert [f.code for f in result.findings] == ["HTTP_ERROR"]
    assert result.status is Status.FAIL


def test_server_error_is_a_warning() -> None:
    result = judge(http(503, "Service Unavailable"))
    assert [(f.code, f.severity) for f in result.findings] == [("HTTP_ERROR", Severity.WARN)]
    assert result.status is Status.WARN


def test_not_yet_valid_hints_at_the_clock() -> None:
    future = leaf(not_before=NOW + DAY, not_after=NOW + 400 * DAY)
    (found,) = judge(observed(tls=tls_ok((future, GENUINE_CHAIN[1])))).findings
    assert found.code == "TLS_EXPIRED"
    assert "not yet valid" in found.message and "clock" in found.message
    assert found.evidence["local_time"] == NOW.isoformat()
    assert found.evidence["server_date"] == HTTP_OK.headers["date"]


def test_expired_intermediate_is_expired() -> None:
    old_ca = dataclasses.replace(GENUINE_CHAIN[1], not_after=(NOW - DAY).isoformat())
    assert codes(observed(tls=tls_ok((GENUINE_CHAIN[0], old_ca)))) == ["TLS_EXPIRED"]


# ---------------------------------------------------------------- status logic


def test_skipped_target_is_skip_without_findings() -> None:
    result = judge(None, skip_reason="needs --workspace-id")
    assert result.status is Status.SKIP
    assert result.findings == () and result.observation is None


def test_fail_wins_over_info() -> None:
    obs = observed(dns=dns(Outcome.OK, "10.1.2.3"), tls=tls_ok(trusted=False))
    result = judge(obs)
    assert {f.code for f in result.findings} == {"DNS_PRIVATE", "TLS_UNTRUSTED"}
    assert result.status is Status.FAIL


def test_warn_wins_over_info() -> None:
    obs = observed(
        dns=dns(Outcome.OK, "10.1.2.3"),
        http=HttpObservation(Outcome.OK, 502, "Bad Gateway", {}),
    )
    assert judge(obs).status is Status.WARN


# ---------------------------------------------------------------- the interception decision


def intercepted(obs: Observation, ctx: RuleContext = CTX) -> dict[str, object]:
    result = judge(obs, ctx)
    assert [f.code for f in result.findings] == ["TLS_INTERCEPTED"], result.findings
    assert result.status is Status.FAIL
    return result.findings[0].evidence


def test_zscaler_issuer_is_interception_by_zscaler() -> None:
    evidence = intercepted(observed(tls=tls_ok(ZSCALER_CHAIN, trusted=False)))
    assert evidence["interceptor"] == "Zscaler"
    assert evidence["issuer"] == ZSCALER_CA


def test_mitmproxy_issuer_is_named() -> None:
    chain = (leaf(MITM_CA), ca_cert(MITM_CA, MITM_CA, "44" * 20))
    assert intercepted(observed(tls=tls_ok(chain, trusted=False)))["interceptor"] == "mitmproxy"


def test_unknown_issuer_is_interception_by_an_unnamed_product() -> None:
    evidence = intercepted(observed(tls=tls_ok(CORP_CHAIN, trusted=False)))
    assert evidence["interceptor"] is None
    assert evidence["issuer"] == CORP_CA


def test_a_locally_trusted_corporate_root_is_still_interception() -> None:
    assert intercepted(observed(tls=tls_ok(CORP_CHAIN, trusted=True)))["interceptor"] is None


def test_microsoft_names_with_an_unpublished_thumbprint_are_forged() -> None:
    evidence = intercepted(observed(tls=tls_ok(FORGED_MS_CHAIN, trusted=False)))
    assert "thumbprint" in str(evidence["reason"])


def test_forged_chain_is_interception_even_when_trusted_locally() -> None:
    intercepted(observed(tls=tls_ok(FORGED_MS_CHAIN, trusted=True)))


def test_microsoft_chain_with_published_thumbprints_untrusted_is_an_old_trust_store() -> None:
    result = judge(observed(tls=tls_ok(GENUINE_CHAIN, trusted=False)))
    assert [f.code for f in result.findings] == ["TLS_UNTRUSTED"]
    assert result.findings[0].evidence["store"] == "certifi"


def test_self_signed_certificate_in_microsofts_place_is_interception() -> None:
    assert SELF_SIGNED[0].self_signed
    evidence = intercepted(observed(tls=tls_ok(SELF_SIGNED, trusted=False)))
    assert "self-signed" in str(evidence["reason"])


def test_no_certificate_at_all_is_interception() -> None:
    intercepted(observed(tls=tls_ok((), trusted=False)))


def test_microsoft_leaf_without_its_issuer_depends_on_trust() -> None:
    alone = (GENUINE_CHAIN[0],)
    assert codes(observed(tls=tls_ok(alone, trusted=True))) == []
    intercepted(observed(tls=tls_ok(alone, trusted=False)))


def test_genuine_trusted_chain_passes() -> None:
    assert judge(observed(tls=tls_ok(GENUINE_CHAIN, trusted=True))).status is Status.PASS


def test_issuer_names_are_compared_without_case() -> None:
    shouting = (leaf(MS_ISSUER.upper()), GENUINE_CHAIN[1])
    assert codes(observed(tls=tls_ok(shouting))) == []


def test_interception_decision_with_the_shipped_catalogue(catalogue: Catalogue) -> None:
    ctx = context_for(catalogue)
    assert MS_INTERMEDIATE_SHA1 in ctx.microsoft_thumbprints
    assert codes(observed(), ctx) == []
    assert intercepted(observed(tls=tls_ok(FORGED_MS_CHAIN, trusted=False)), ctx)
    assert intercepted(observed(tls=tls_ok(ZSCALER_CHAIN)), ctx)["interceptor"] == "Zscaler"


def test_interception_remediation_names_the_product_exemption() -> None:
    result = judge(observed(tls=tls_ok(ZSCALER_CHAIN)))
    assert "Do Not Inspect" in result.findings[0].remediation


# ---------------------------------------------------------------- doubtful records


DOUBT = "the doc prints .de for a public-cloud region"


def test_doubtful_target_failure_becomes_a_warning() -> None:
    result = judge(stopped_at_dns(Outcome.NXDOMAIN), doubtful=DOUBT)
    (found,) = result.findings
    assert (found.code, found.severity) == ("DNS_NXDOMAIN", Severity.WARN)
    assert DOUBT in found.message
    assert result.status is Status.WARN


def test_doubtful_target_keeps_info_findings_as_info() -> None:
    result = judge(resolved_to("10.1.2.3"), doubtful=DOUBT)
    assert [f.severity for f in result.findings] == [Severity.INFO]
    assert result.status is Status.PASS


def test_doubtful_target_that_works_passes() -> None:
    assert judge(observed(), doubtful=DOUBT).status is Status.PASS


# ---------------------------------------------------------------- through a proxy


@pytest.mark.parametrize("outcome", [Outcome.NXDOMAIN, Outcome.SERVFAIL, Outcome.TIMEOUT])
def test_through_a_proxy_local_dns_failure_is_not_a_finding(outcome: Outcome) -> None:
    result = judge(through_proxy(dns=dns(outcome)))
    assert result.findings == ()
    assert result.status is Status.PASS


def test_through_a_proxy_tcp_failure_is_the_proxy_being_unreachable() -> None:
    obs = through_proxy(
        proxy=None, tcp=TcpObservation(Outcome.TIMEOUT, None, (), "timed out"), tls=None, http=None
    )
    assert codes(obs) == ["PROXY_UNREACHABLE"]


def test_through_a_proxy_interception_is_still_found() -> None:
    assert codes(through_proxy(tls=tls_ok(ZSCALER_CHAIN))) == ["TLS_INTERCEPTED"]


# ---------------------------------------------------------------- revocation hosts (port 80)


def test_revocation_host_failure_is_a_warning() -> None:
    result = judge(
        stopped_at_tcp(Outcome.TIMEOUT),
        host="crl3.digicert.com",
        port=80,
        deployments=frozenset({Deployment.REVOCATION}),
    )
    assert [(f.code, f.severity) for f in result.findings] == [
        ("REVOCATION_UNREACHABLE", Severity.WARN)
    ]
    assert result.findings[0].evidence["cause"] == "TCP_TIMEOUT"


def test_revocation_host_that_answers_passes() -> None:
    plain = observed(tls=None, http=HttpObservation(Outcome.OK, 200, "OK", {}))
    result = judge(
        plain, host="crl3.digicert.com", port=80, deployments=frozenset({Deployment.REVOCATION})
    )
    assert result.status is Status.PASS


# ---------------------------------------------------------------- doubt must not hide a block


def test_a_blocked_automation_domain_fails_in_germany_west_central(catalogue: Catalogue) -> None:
    """The doubt about Germany West Central is the published .de domain; the catalogue probes
    the .net names as "the likely real domain". When a firewall blocks every Automation host
    of an extension-based worker there, .de and .net alike, the worker cannot work: the run
    must fail, not end in warnings (exit 0)."""
    account = "4f3e2d1c-0b9a-8765-4321-0fedcba98765"
    selection = Selection(
        region=find_region(catalogue, "germanywestcentral"),
        deployments=deployments_for(None, account, False),
        account_id=account,
    )
    automation = [
        t
        for t in probe_targets(expand(catalogue, selection))
        if t.skip_reason is None and ".azure-automation." in t.host
    ]
    assert {t.host.rsplit(".", 1)[1] for t in automation} == {"de", "net"}
    blocked = stopped_at_dns(Outcome.NXDOMAIN)
    ctx = context_for(catalogue)
    statuses = [evaluate(t, blocked, ctx).status for t in automation]
    assert overall_status(statuses) is Status.FAIL
