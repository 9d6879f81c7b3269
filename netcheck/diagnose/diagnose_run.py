"""One diagnosis from the host's files to the ranked causes: read, choose, probe, judge."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from netcheck import DEFAULT_EXPIRY_WARNING_DAYS, __version__
from netcheck.check_run import planned, run_check, settings_options
from netcheck.commands import Runner
from netcheck.diagnose import host, logs, pac, proxy_choice, scope, verdicts
from netcheck.diagnose.diagnosis import Diagnosis, rank
from netcheck.diagnose.discover_linux import discover_linux
from netcheck.diagnose.discover_windows import discover_windows
from netcheck.diagnose.discovery_model import Unreadable
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.proxy_choice import PacResult, ProxyCandidate
from netcheck.diagnose.windows_events import CHANNEL, read_4502
from netcheck.diagnose.windows_host import gather_windows
from netcheck.diagnose.windows_registry import Registry
from netcheck.models import (
    Catalogue,
    DiagnoseOptions,
    ProbeSettings,
    Report,
)
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
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS,
    registry: Registry | None = None,
    cpu_cores: int | None = None,
) -> Diagnosis:
    """`settings.proxy` is ignored: the proxy is the one the worker uses (or the override).
    `runner` and `registry` are given only on the running system; on an offline disk the
    files below the root are read all the same."""
    if on_windows:
        facts = gather_windows(files, registry, host.local_tls(), cpu_cores)
        discovery = discover_windows(files, registry, runner)
    else:
        facts = host.gather(files, host.local_tls())
        discovery = discover_linux(files, runner)
    configured = [p for w in discovery.workers for p in w.proxies]
    choice = proxy_choice.choose(
        proxy_override, configured, environment, discovery.machine_proxies, windows=on_windows
    )
    where = scope.scope_for(discovery, catalogue, region)
    scanned = logs.scan(files)
    event_problems: list[Unreadable] = []
    if on_windows and runner is not None:
        lines, event_problems = read_4502(runner)
        if not event_problems:
            scanned = dataclasses.replace(
                scanned,
                scanned=(*scanned.scanned, f'event log "{CHANNEL}"'),
                matches=(*scanned.matches, *lines),
            )
    if where.selection is not None and choice.used is not None and choice.used.pac is not None:
        _, _, targets = planned(catalogue, where.selection, canary_label)
        hosts = [t.host for t in targets if t.skip_reason is None]
        choice = dataclasses.replace(choice, pac=_run_pac(choice.used.pac, hosts, settings.timeout))
    proxy, bypass, per_host = choice.routes()
    probe_settings = dataclasses.replace(settings, proxy=proxy, bypass=bypass, per_host=per_host)
    shown_root = str(files.root)
    if where.selection is not None:
        checked = run_check(
            catalogue, where.selection, probe_settings, canary_label, observer, expiry_warning_days
        )
        options = DiagnoseOptions(**vars(checked.options), root=shown_root)
        report = dataclasses.replace(checked, options=options)
    else:
        report = _unprobed(catalogue, probe_settings, where, shown_root)
    families = tuple(dict.fromkeys(w.kind.family for w in discovery.workers))
    host_findings = tuple(host.judge(facts, families))
    agent_findings = (
        *verdicts.judge(discovery, shown_root),
        *verdicts.unreadable(event_problems),
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


def _run_pac(url: str, hosts: list[str], timeout: float) -> PacResult:
    """The PAC file's answer for each host; WPAD is reported, not discovered."""
    if url == "WPAD":
        return PacResult(
            url,
            problem="automatic detection (WPAD): netcheck does not look for the WPAD file on "
            "the network",
        )
    from netcheck.probes.pac import fetch_pac

    script, problem = fetch_pac(url, timeout)
    return pac.evaluate(url, script, problem, hosts)


def _unprobed(
    catalogue: Catalogue, settings: ProbeSettings, where: scope.Scope, root: str
) -> Report:
    """The report of a run that probed nothing, with the option keys a check report has."""
    return Report(
        tool_version=__version__,
        generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        options=DiagnoseOptions(
            **vars(settings_options(catalogue, settings)), root=root, not_probed=where.problem
        ),
        results=(),
        duration_ms=0.0,
        origin=PendingOrigin().result(),
    )
