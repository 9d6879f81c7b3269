"""One diagnosis from the host's files to the ranked causes: read, choose, probe, judge."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from netcheck import __version__
from netcheck.check_run import run_check
from netcheck.diagnose import host, logs, proxy_choice, scope, verdicts
from netcheck.diagnose.commands import Runner
from netcheck.diagnose.diagnosis import Diagnosis, rank
from netcheck.diagnose.discover_linux import discover_linux
from netcheck.diagnose.discover_windows import discover_windows
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.proxy_choice import ProxyCandidate
from netcheck.models import Catalogue, CatalogueRef, DiagnoseOptions, ProbeSettings, Report
from netcheck.origin import PendingOrigin
from netcheck.probes import Observer


def run_diagnose(
    *,
    files: HostFiles,
    runner: Runner | None,
    on_windows: bool,
    environment: Mapping[str, str],
    catalogue: Catalogue,
    region: str | None,
    proxy_override: ProxyCandidate | None,
    settings: ProbeSettings,
    canary_label: str,
    observer: Observer | None = None,
) -> Diagnosis:
    """`settings.proxy` is ignored: the proxy is the one the worker uses (or the override)."""
    facts = host.gather(files, host.local_tls())
    discovery = (discover_windows if on_windows else discover_linux)(files, runner)
    configured = [p for w in discovery.workers for p in w.proxies]
    choice = proxy_choice.choose(proxy_override, configured, environment, discovery.winhttp)
    where = scope.scope_for(discovery, catalogue, region)
    scanned = logs.scan(files)
    probe_settings = dataclasses.replace(
        settings, proxy=choice.used.settings if choice.used is not None else None
    )
    shown_root = str(files.root)
    if where.selection is not None:
        checked = run_check(catalogue, where.selection, probe_settings, canary_label, observer)
        options = DiagnoseOptions(**vars(checked.options), root=shown_root)
        report = dataclasses.replace(checked, options=options)
    else:
        report = _unprobed(catalogue, probe_settings, where, shown_root)
    families = tuple(dict.fromkeys(w.kind.family for w in discovery.workers))
    host_findings = tuple(host.judge(facts, families))
    agent_findings = (
        *verdicts.judge(discovery, shown_root),
        *proxy_choice.judge(choice),
        *scope.judge(where),
    )
    log_findings = tuple(logs.judge(scanned))
    causes = rank(report, (*host_findings, *agent_findings), log_findings, choice)
    return Diagnosis(
        report=report,
        root=shown_root,
        host=facts,
        host_findings=host_findings,
        discovery=discovery,
        scope=where,
        proxy=choice,
        logs=scanned,
        agent_findings=agent_findings,
        log_findings=log_findings,
        causes=causes,
    )


def _unprobed(
    catalogue: Catalogue, settings: ProbeSettings, where: scope.Scope, root: str
) -> Report:
    """The report of a run that probed nothing, with the option keys a check report has."""
    return Report(
        tool_version=__version__,
        generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        options=DiagnoseOptions(
            region=None,
            cloud=None,
            workspace_id=None,
            automation_account_id=None,
            deployments=(),
            proxy=settings.proxy.redacted_url if settings.proxy else None,
            dns_server=settings.dns_server,
            timeout=settings.timeout,
            trust=settings.trust,
            catalogue=CatalogueRef(catalogue.path, catalogue.date),
            root=root,
            not_probed=where.problem,
        ),
        results=(),
        duration_ms=0.0,
        origin=PendingOrigin().result(),
    )
