"""Prometheus text exposition of a report: `check --format prometheus` and the exporter's /probe.

One renderer for both: node_exporter's textfile collector reads the file `check` writes, and
the exporter answers a scrape with the same families. Metric names are a contract, listed in
README.md ("Monitoring with Prometheus"); never rename one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from netcheck.models import Report, Status, TargetResult

if TYPE_CHECKING:
    from prometheus_client.core import GaugeMetricFamily

# The probe's steps, named as the JSON report's observations are.
STEPS = ("dns", "tcp", "proxy", "tls", "http")
# The interceptor label of an interception whose product the certificate does not name.
UNNAMED_INTERCEPTOR = "unknown"


def render(report: Report) -> str:
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ReportCollector(report))
    return generate_latest(registry).decode("utf-8")


class _ReportCollector:
    """Yields the families of one report; prometheus-client formats and escapes them."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from prometheus_client.core import GaugeMetricFamily

        report = self.report
        probed = [r for r in report.results if r.observation is not None]
        yield GaugeMetricFamily(
            "probe_success",
            "1 when no probed target has a failing finding (as blackbox_exporter's probe_success).",
            value=0 if report.status is Status.FAIL else 1,
        )
        yield GaugeMetricFamily(
            "probe_duration_seconds",
            "How long probing every target of the selection took.",
            value=report.duration_ms / 1000,
        )
        up = GaugeMetricFamily(
            "netcheck_target_up",
            "1 when the target has no failing finding.",
            labels=("host", "port"),
        )
        found = GaugeMetricFamily(
            "netcheck_finding",
            "1 for each finding; host and port are empty for findings about the whole run.",
            labels=("host", "port", "code", "severity"),
        )
        steps = GaugeMetricFamily(
            "netcheck_step_duration_seconds",
            "How long each network step of the probe took.",
            labels=("host", "port", "step"),
        )
        intercepted = GaugeMetricFamily(
            "netcheck_tls_intercepted",
            "1 when the presented chain is not Microsoft's (TLS_INTERCEPTED); interceptor names "
            f"the product, {UNNAMED_INTERCEPTOR!r} when the certificate does not say.",
            labels=("host", "port", "interceptor"),
        )
        not_after = GaugeMetricFamily(
            "netcheck_certificate_not_after_timestamp_seconds",
            "When each presented certificate expires, leaf (depth 0) to the last one sent.",
            labels=("host", "port", "depth", "subject", "issuer"),
        )
        for result in probed:
            host, port = _host_label(result), str(result.target.port)
            up.add_metric((host, port), 0 if result.status is Status.FAIL else 1)
            for code, severity in sorted({(f.code, f.severity.value) for f in result.findings}):
                found.add_metric((host, port, code, severity), 1)
            for step, seconds in _step_seconds(result):
                steps.add_metric((host, port, step), seconds)
            tls = result.observation.tls if result.observation else None
            if tls is None or not tls.chain:
                continue  # no chain was presented: nothing to say about interception
            interceptor = _interceptor(result)
            intercepted.add_metric((host, port, interceptor or ""), int(interceptor is not None))
            for depth, cert in enumerate(tls.chain):
                not_after.add_metric(
                    (host, port, str(depth), cert.subject, cert.issuer),
                    dt.datetime.fromisoformat(cert.not_after).timestamp(),
                )
        for code, severity in sorted({(f.code, f.severity.value) for f in report.findings}):
            found.add_metric(("", "", code, severity), 1)
        yield from (up, found, steps, intercepted, not_after)
        catalogue_date = dt.datetime.fromisoformat(report.options.catalogue.date)
        yield GaugeMetricFamily(
            "netcheck_catalogue_date_timestamp_seconds",
            "The date of the endpoint catalogue the check used (midnight UTC).",
            value=catalogue_date.replace(tzinfo=dt.timezone.utc).timestamp(),
        )


def _host_label(result: TargetResult) -> str:
    """The target's host; a canary's random name becomes its wildcard domain, so every run
    writes the same series instead of a new one per random label."""
    target = result.target
    if target.canary:
        return "*." + target.host.split(".", 1)[1]
    return target.host


def _step_seconds(result: TargetResult) -> Iterator[tuple[str, float]]:
    obs = result.observation
    if obs is None:
        return
    for step in STEPS:
        seen = getattr(obs, step)
        if seen is not None:
            yield step, seen.duration_ms / 1000


def _interceptor(result: TargetResult) -> str | None:
    """The interceptor label of an intercepted chain; None when it was not intercepted."""
    for f in result.findings:
        if f.code == "TLS_INTERCEPTED":
            return str(f.evidence.get("interceptor") or UNNAMED_INTERCEPTOR)
    return None
