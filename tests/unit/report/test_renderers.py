"""Every renderer on a small hand-built report: contract keys, structure, and no password."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from netcheck.findings import codes, evaluate
from netcheck.findings.base import finding
from netcheck.formats import REPORT_RENDERERS as RENDERERS
from netcheck.formats import Format
from netcheck.models import (
    CatalogueRef,
    Deployment,
    DnsObservation,
    HttpObservation,
    Observation,
    Outcome,
    ProxyObservation,
    Report,
    RunOptions,
    TcpObservation,
    TlsObservation,
    TrustStore,
)
from netcheck.proxy_url import parse_proxy
from netcheck.report.steps import STEPS

from ..builders import CTX, NOW, leaf, observed, target, tls_ok

SECRET = "Pr0xy-S3cret!"
PROXY = parse_proxy(f"http://svc-hrw:{SECRET}@proxy.corp:3128")
VIA = PROXY.redacted_url  # what cli.py puts into the report
ZSCALER_CA = "CN=Zscaler Intermediate Root CA (zscaler.net) (t),O=Zscaler Inc.,C=US"
W = "1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"


def proxied(**steps: Any) -> Observation:
    fields: dict[str, Any] = {
        "via_proxy": VIA,
        "tcp": TcpObservation(Outcome.OK, "10.0.0.5", ("10.0.0.5: connected",)),
        "proxy": ProxyObservation(Outcome.OK, VIA, 200, "Connection established"),
        # the local resolver is evidence only through a proxy
        "dns": DnsObservation(Outcome.NXDOMAIN, ("10.255.0.53",), error="NXDOMAIN"),
    }
    fields.update(steps)
    return observed(**fields)


def build_report() -> Report:
    cases = [
        (target(f"{W}.agentsvc.azure-automation.net"), proxied()),
        (
            target(f"{W}.oms.opinsights.azure.com", endpoint_ids=("oms-workspace",)),
            proxied(tls=tls_ok((leaf(ZSCALER_CA),))),
        ),
        (
            target("we-jobruntimedata-prod-su1.azure-automation.net"),
            proxied(
                proxy=ProxyObservation(
                    Outcome.AUTH_REQUIRED, VIA, 407, "Proxy Authentication Required"
                ),
                tls=None,
                http=None,
            ),
        ),
        (
            target(
                "acct.jrds.dewc.azure-automation.de", doubtful="published .de for a public region"
            ),
            proxied(
                tls=TlsObservation(Outcome.RESET, error="connection reset | by peer"), http=None
            ),
        ),
        (
            target("<workspace-id>.ods.opinsights.azure.com", skip_reason="needs --workspace-id"),
            None,
        ),
        (
            target(
                "*.blob.core.windows.net",
                skip_reason="wildcard with no concrete host to probe under it",
            ),
            None,
        ),
        (
            target("crl3.digicert.com", port=80, deployments=frozenset({Deployment.REVOCATION})),
            proxied(tls=None, http=HttpObservation(Outcome.OK, 200, "OK", {})),
        ),
        (
            target(
                "cacerts.digicert.com",
                port=80,
                deployments=frozenset({Deployment.REVOCATION}),
                skip_reason="needs nothing, skipped for the test",
            ),
            None,
        ),
    ]
    results = tuple(evaluate(t, obs, CTX) for t, obs in cases)
    run_finding = finding(
        codes.TLS_INTERCEPTION_PARTIAL,
        "1 of 3 endpoints are intercepted",
        intercepted=[f"{W}.oms.opinsights.azure.com"],
    )
    return Report(
        tool_version="0.1.0",
        generated_at=NOW.isoformat(),
        options=RunOptions(
            region="westeurope",
            cloud="public",
            workspace_id=W,
            automation_account_id=None,
            deployments=("agent", "update-management"),
            proxy=VIA,
            dns_server=None,
            timeout=5.0,
            trust=(TrustStore("certifi", "/x/cacert.pem"),),
            catalogue=CatalogueRef("regions.yaml", "2025-11-17"),
        ),
        results=results,
        duration_ms=812.4,
        findings=(run_finding,),
    )


REPORT = build_report()
STATUSES = [r.status.value for r in REPORT.results]


def test_the_report_covers_every_status() -> None:
    assert STATUSES == ["pass", "fail", "fail", "warn", "skip", "skip", "pass", "skip"]


def test_every_format_has_a_renderer() -> None:
    assert list(RENDERERS) == list(Format)
    for fmt in Format:
        assert callable(RENDERERS.renderer(fmt)), fmt
    for fmt in Format:
        assert RENDERERS.render(REPORT, fmt).strip()


@pytest.mark.parametrize("fmt", list(Format))
def test_the_proxy_password_appears_in_no_format(fmt: Format) -> None:
    assert VIA == "http://svc-hrw:***@proxy.corp:3128"
    text = RENDERERS.render(REPORT, fmt)
    assert SECRET not in text
    assert PROXY.password == SECRET  # the run had it


# ---------------------------------------------------------------- json


def document() -> dict[str, Any]:
    parsed = json.loads(RENDERERS.render(REPORT, Format.JSON))
    assert isinstance(parsed, dict)
    return parsed


DOCUMENTED_TARGET_FIELDS = {
    "host", "port", "status", "skip_reason", "endpoints", "purpose", "source", "deployments",
    "bypass_inspection", "service_tags", "doubtful", "checked_at", "via_proxy", "findings",
    "observations",
}  # fmt: skip
DOCUMENTED_STEP_FIELDS = {
    "dns": {"outcome", "resolver", "addresses", "cnames", "error", "duration_ms"},
    "proxy": {"outcome", "proxy", "status", "reason", "headers", "error", "duration_ms"},
    "tcp": {"outcome", "address", "attempts", "error", "duration_ms"},
    "tls": {
        "outcome",
        "version",
        "cipher",
        "chain",
        "trust",
        "hostname_matches",
        "error",
        "duration_ms",
    },
    "http": {"outcome", "status", "reason", "headers", "body_excerpt", "error", "duration_ms"},
}
DOCUMENTED_CHAIN_FIELDS = {
    "subject", "issuer", "subject_cn", "issuer_cn", "sha1", "sha256", "serial", "not_before",
    "not_after", "key_type", "dns_names", "self_signed", "pem",
}  # fmt: skip


def test_json_top_level_contract() -> None:
    doc = document()
    assert doc["schema"] == "netcheck.report/1"
    assert {"schema", "tool", "generated_at", "options", "summary", "targets"} <= set(doc)
    summary = doc["summary"]
    assert isinstance(summary, dict)
    assert summary["status"] == "fail"
    assert summary["targets"] == len(REPORT.results)
    assert summary["counts"] == {"pass": 2, "warn": 1, "fail": 2, "skip": 3}
    assert set(summary["findings"]) == {"fail", "warn", "info"}
    assert summary["codes"]["TLS_INTERCEPTED"] == 1
    assert summary["codes"]["PROXY_AUTH_REQUIRED"] == 1
    assert doc["options"]["proxy"] == VIA


def test_json_targets_contract() -> None:
    targets = document()["targets"]
    assert isinstance(targets, list) and len(targets) == len(REPORT.results)
    for item, result in zip(targets, REPORT.results, strict=True):
        assert set(item) >= DOCUMENTED_TARGET_FIELDS
        assert (item["host"], item["port"], item["status"]) == (
            result.target.host,
            result.target.port,
            result.status.value,
        )
        assert set(item["observations"]) == set(DOCUMENTED_STEP_FIELDS)
        for step, fields in DOCUMENTED_STEP_FIELDS.items():
            value = item["observations"][step]
            assert value is None or fields <= set(value), step
        for found in item["findings"]:
            assert {"code", "severity", "message", "remediation", "evidence"} <= set(found)
            assert found["severity"] in ("fail", "warn", "info")
            assert isinstance(found["evidence"], dict)


def test_json_intercepted_target() -> None:
    item = document()["targets"][1]
    (found,) = item["findings"]
    assert found["code"] == "TLS_INTERCEPTED"
    assert found["evidence"]["interceptor"] == "Zscaler"
    assert found["evidence"]["issuer"] == ZSCALER_CA
    (cert,) = item["observations"]["tls"]["chain"]
    assert set(cert) >= DOCUMENTED_CHAIN_FIELDS
    assert item["via_proxy"] == VIA
    assert item["observations"]["proxy"]["proxy"] == VIA


def test_json_skipped_target() -> None:
    item = document()["targets"][4]
    assert item["status"] == "skip"
    assert item["skip_reason"] == "needs --workspace-id"
    assert item["findings"] == []
    assert all(v is None for v in item["observations"].values())


# ---------------------------------------------------------------- junit


def expected_steps(port: int) -> list[str]:
    return [s for s in STEPS if not (s == "tls" and port != 443)]


def test_junit_parses_with_one_testcase_per_target_and_step() -> None:
    suite = ET.fromstring(RENDERERS.render(REPORT, Format.JUNIT))
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    expected = [
        (f"{r.target.host}:{r.target.port}", step)
        for r in REPORT.results
        for step in expected_steps(r.target.port)
    ] + [("run", f.code) for f in REPORT.findings]
    assert [(c.get("classname"), c.get("name")) for c in cases] == expected
    assert suite.get("tests") == str(len(cases))
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert suite.get("failures") == str(len(failures))
    assert suite.get("skipped") == str(len(skipped))


def test_junit_failures_sit_on_the_step_that_failed() -> None:
    suite = ET.fromstring(RENDERERS.render(REPORT, Format.JUNIT))

    def case(host: str, step: str) -> ET.Element:
        found = suite.find(f"testcase[@classname='{host}:443'][@name='{step}']")
        assert found is not None
        return found

    intercepted = case(f"{W}.oms.opinsights.azure.com", "tls").find("failure")
    assert intercepted is not None and intercepted.get("type") == "TLS_INTERCEPTED"
    auth = case("we-jobruntimedata-prod-su1.azure-automation.net", "connect").find("failure")
    assert auth is not None and auth.get("type") == "PROXY_AUTH_REQUIRED"
    # steps after the failure were not reached
    for step in ("tls", "http"):
        later = case("we-jobruntimedata-prod-su1.azure-automation.net", step)
        assert later.find("skipped") is not None
    # local DNS through a proxy is not a failure
    assert case(f"{W}.agentsvc.azure-automation.net", "dns").find("failure") is None
    skipped = case("<workspace-id>.ods.opinsights.azure.com", "dns").find("skipped")
    assert skipped is not None and skipped.get("message") == "needs --workspace-id"


# ---------------------------------------------------------------- markdown


def test_markdown() -> None:
    text = RENDERERS.render(REPORT, Format.MARKDOWN)
    lines = text.splitlines()
    assert lines[0] == "# netcheck report: FAIL"
    assert f"- Proxy: {VIA}" in lines
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| Status")]
    assert len(rows) == len(REPORT.results)
    for row, result in zip(rows, REPORT.results, strict=True):
        assert row.startswith(
            f"| {result.status.value} | `{result.target.host}:{result.target.port}`"
        )
        assert row.count(" | ") == 3, f"a cell breaks the table: {row}"
    assert "## Findings" in lines
    assert f"### FAIL `TLS_INTERCEPTED` on `{W}.oms.opinsights.azure.com:443`" in lines


# ---------------------------------------------------------------- table


def test_table_is_readable_at_100_columns() -> None:
    text = RENDERERS.render(REPORT, Format.TABLE)
    too_wide = [line for line in text.splitlines() if len(line) > 100]
    assert not too_wide


def test_table_shows_statuses_problems_and_skips() -> None:
    text = RENDERERS.render(REPORT, Format.TABLE)
    lines = text.splitlines()
    assert lines[0].split() == ["STATUS", "TARGET", "RESULT"]
    for result in REPORT.results:
        assert any(
            line.startswith(result.status.value.upper()) and result.target.host[:40] in line
            for line in lines
        ), result.target.host
    assert any(line.startswith("[FAIL] TLS_INTERCEPTED") for line in lines)
    assert "[SKIP] <workspace-id>.ods.opinsights.azure.com: needs --workspace-id" in text
    summary = " ".join(text.split("\n\n")[-1].split())
    assert summary.startswith("FAIL: 8 targets (2 pass, 1 warn, 2 fail, 3 skip) in 0.8 s")
    assert summary.endswith(f"via proxy {VIA}")


def test_table_wraps_a_long_skip_reason() -> None:
    long_skip = target(
        f"{W}.jrds.<code>.<account-domain>",
        skip_reason="no location code is published for canadaeast; give one with --catalogue",
    )
    report = Report(
        "0.1.0", NOW.isoformat(), REPORT.options, (evaluate(long_skip, None, CTX),), 1.0
    )
    assert all(len(line) <= 100 for line in RENDERERS.render(report, Format.TABLE).splitlines())


def test_junit_survives_control_characters_from_the_network() -> None:
    refused = proxied(
        proxy=ProxyObservation(Outcome.DENIED, VIA, 403, "\x1b[31mBlocked\x1b[0m by\x00 policy"),
        tls=None,
        http=None,
    )
    result = evaluate(target(), refused, CTX)
    assert [f.code for f in result.findings] == ["PROXY_DENIED"]
    report = Report("0.1.0", NOW.isoformat(), REPORT.options, (result,), 1.0)
    suite = ET.fromstring(RENDERERS.render(report, Format.JUNIT))
    failure = suite.find("testcase[@name='connect']/failure")
    assert failure is not None and "Blocked" in (failure.get("message") or "")
