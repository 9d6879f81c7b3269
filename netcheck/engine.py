"""One check from selection to report: expand, add canaries, probe, judge. Shared by commands."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

from netcheck import __version__
from netcheck.expand import (
    Selection,
    bypass_domains,
    canaries,
    expand,
    probe_targets,
    selected_regions,
)
from netcheck.models import Catalogue, Deployment, ProbeSettings, Report
from netcheck.probes import Observer, probe_all


def run_check(
    catalogue: Catalogue,
    selection: Selection,
    settings: ProbeSettings,
    canary_label: str,
    observer: Observer | None = None,
) -> Report:
    """Probe every target of the selection (revocation hosts and canaries included)."""
    # Revocation hosts are always probed: their failures are warnings, never failures.
    widened = dataclasses.replace(
        selection, deployments=selection.deployments | {Deployment.REVOCATION}
    )
    expanded = expand(catalogue, widened)
    targets = probe_targets(expanded) + canaries(expanded, canary_label)
    probeable = [t for t in targets if t.skip_reason is None]
    generated = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()
    observations = dict(zip(probeable, probe_all(probeable, settings, observer), strict=True))
    duration = (time.monotonic() - started) * 1000
    # Imported only now: the rules pull in cryptography, which the probes load while their
    # first lookups travel; importing it before them would delay every first packet.
    from netcheck.rules import context_for, evaluate, run_rules

    ctx = context_for(catalogue, bypass_domains(expanded))
    results = tuple(evaluate(t, observations.get(t), ctx) for t in targets)
    return Report(
        tool_version=__version__,
        generated_at=generated,
        options={
            "region": "all" if selection.all_regions else selection.region.name,
            "cloud": ", ".join(sorted({r.cloud for r in selected_regions(catalogue, selection)})),
            "workspace_id": selection.workspace_id,
            "automation_account_id": selection.account_id,
            "deployments": sorted(d.value for d in widened.deployments),
            "proxy": settings.proxy.redacted_url if settings.proxy else None,
            "dns_server": settings.dns_server,
            "timeout": settings.timeout,
            "trust": [{"name": s.name, "path": s.path} for s in settings.trust],
            "catalogue": {"path": catalogue.path, "date": catalogue.date},
        },
        results=results,
        duration_ms=duration,
        findings=tuple(run_rules(results, ctx)),
    )
