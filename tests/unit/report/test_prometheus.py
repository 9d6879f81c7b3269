"""The Prometheus renderer: every family, the labels, stable series for canaries, no password."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from netcheck.findings import evaluate
from netcheck.formats import REPORT_RENDERERS as RENDERERS
from netcheck.formats import Format
from netcheck.models import Report

from ..builders import CTX, MS_ISSUER, MS_ROOT, NOW, cert, observed, target, tls_ok
from .test_renderers import REPORT, SECRET, W

FAMILIES = (
    "probe_success",
    "probe_duration_seconds",
    "netcheck_target_up",
    "netcheck_finding",
    "netcheck_step_duration_seconds",
    "netcheck_tls_intercepted",
    "netcheck_certificate_not_after_timestamp_seconds",
    "netcheck_catalogue_date_timestamp_seconds",
)


def samples(report: Report, family: str) -> list[tuple[dict[str, str], float]]:
    text = RENDERERS.render(report, Format.PROMETHEUS)
    return [
        (dict(s.labels), s.value)
        for parsed in text_string_to_metric_families(text)
        for s in parsed.samples
        if s.name == family
    ]


def test_every_family_is_written_as_a_gauge_with_help() -> None:
    text = RENDERERS.render(REPORT, Format.PROMETHEUS)
    for family in FAMILIES:
        assert f"# TYPE {family} gauge\n" in text, family
        assert f"# HELP {family} " in text, family
    assert SECRET not in text


def test_probe_success_follows_the_report_status() -> None:
    assert samples(REPORT, "probe_success") == [({}, 0.0)]
    assert samples(REPORT, "probe_duration_seconds") == [({}, pytest.approx(0.8124))]
    passing = dataclasses.replace(REPORT, results=REPORT.results[:1], findings=())
    assert samples(passing, "probe_success") == [({}, 1.0)]


def test_target_up_and_findings_per_probed_target_skipped_ones_left_out() -> None:
    up = {(ls["host"], ls["port"]): v for ls, v in samples(REPORT, "netcheck_target_up")}
    assert up == {
        (f"{W}.agentsvc.azure-automation.net", "443"): 1,
        (f"{W}.oms.opinsights.azure.com", "443"): 0,
        ("we-jobruntimedata-prod-su1.azure-automation.net", "443"): 0,
        ("acct.jrds.dewc.azure-automation.de", "443"): 1,  # doubtful: its failure is a warning
        ("crl3.digicert.com", "80"): 1,
    }
    findings = {
        (ls["host"], ls["code"], ls["severity"]) for ls, _ in samples(REPORT, "netcheck_finding")
    }
    assert (f"{W}.oms.opinsights.azure.com", "TLS_INTERCEPTED", "fail") in findings
    assert ("acct.jrds.dewc.azure-automation.de", "TLS_RESET", "warn") in findings
    # a finding about the whole run has no host or port
    assert ("", "TLS_INTERCEPTION_PARTIAL", "info") in findings


def test_steps_are_named_as_the_observations() -> None:
    steps = {
        ls["step"]
        for ls, _ in samples(REPORT, "netcheck_step_duration_seconds")
        if ls["host"] == f"{W}.agentsvc.azure-automation.net"
    }
    assert steps == {"dns", "tcp", "proxy", "tls", "http"}


def test_interception_names_the_product_and_only_presented_chains_count() -> None:
    intercepted = {
        ls["host"]: (ls["interceptor"], v) for ls, v in samples(REPORT, "netcheck_tls_intercepted")
    }
    assert intercepted[f"{W}.oms.opinsights.azure.com"] == ("Zscaler", 1)
    assert intercepted[f"{W}.agentsvc.azure-automation.net"] == ("", 0)
    # a reset handshake presented no chain: nothing to say either way
    assert "acct.jrds.dewc.azure-automation.de" not in intercepted


def test_every_presented_certificate_has_its_expiry() -> None:
    leaf_expiry = NOW + dt.timedelta(days=20)
    root_expiry = NOW + dt.timedelta(days=10)
    chain = (
        cert("CN=host.example", MS_ISSUER, not_after=leaf_expiry),
        cert(MS_ISSUER, MS_ROOT, not_after=NOW + dt.timedelta(days=300)),
        cert(MS_ROOT, MS_ROOT, not_after=root_expiry),
    )
    result = evaluate(target("host.example"), observed(tls=tls_ok(chain)), CTX)
    report = dataclasses.replace(REPORT, results=(result,), findings=())
    found = {
        ls["depth"]: (ls["subject"], ls["issuer"], v)
        for ls, v in samples(report, "netcheck_certificate_not_after_timestamp_seconds")
    }
    assert found == {
        "0": ("CN=host.example", MS_ISSUER, leaf_expiry.timestamp()),
        "1": (MS_ISSUER, MS_ROOT, pytest.approx((NOW + dt.timedelta(days=300)).timestamp())),
        "2": (MS_ROOT, MS_ROOT, root_expiry.timestamp()),
    }


def test_a_canary_is_one_series_per_wildcard_domain_whatever_its_random_name() -> None:
    canary = target("netcheck-canary-0123456789ab.blob.core.windows.net", canary=True)
    result = evaluate(canary, observed(), CTX)
    report = dataclasses.replace(REPORT, results=(result,), findings=())
    assert [ls["host"] for ls, _ in samples(report, "netcheck_target_up")] == [
        "*.blob.core.windows.net"
    ]


def test_catalogue_date_is_midnight_utc() -> None:
    expected = dt.datetime(2025, 11, 17, tzinfo=dt.timezone.utc).timestamp()
    assert samples(REPORT, "netcheck_catalogue_date_timestamp_seconds") == [({}, expected)]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="needs promtool (Debian: prometheus)")
def test_promtool_finds_nothing_to_lint() -> None:
    done = subprocess.run(
        ["promtool", "check", "metrics"],
        input=RENDERERS.render(REPORT, Format.PROMETHEUS),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
