"""One check from selection to report: settings, expand, add canaries, probe, judge.

Shared by `check`, `diagnose` and anything else that runs a check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from netcheck import DEFAULT_EXPIRY_WARNING_DAYS, __version__
from netcheck.errors import UsageError
from netcheck.expand import (
    Selection,
    bypass_domains,
    canaries,
    expand,
    probe_targets,
    selected_regions,
)
from netcheck.models import (
    Catalogue,
    CatalogueRef,
    Deployment,
    ProbeSettings,
    ProxySettings,
    Report,
    RunOptions,
    Target,
    TrustStore,
)
from netcheck.probes import Observer, probe_all

if TYPE_CHECKING:
    from netcheck.findings.base import RuleContext
    from netcheck.origin import PendingOrigin


def probe_settings(
    ca_bundle: str | None,
    dns_server: str | None,
    timeout: float,
    concurrency: int,
    proxy: ProxySettings | None = None,
) -> ProbeSettings:
    """The settings of one probe run; --dns-server must be an IP address."""
    if dns_server is not None:
        try:
            ipaddress.ip_address(dns_server)
        except ValueError:
            raise UsageError(
                f"--dns-server {dns_server!r} is not an IP address (e.g. 10.0.0.53 or 2001:db8::53)"
            ) from None
    return ProbeSettings(
        timeout=timeout,
        trust=trust_stores(ca_bundle),
        proxy=proxy,
        dns_server=dns_server,
        concurrency=open_files_for(concurrency),
    )


# A probe holds up to four descriptors at once (its two DNS queries' sockets and the OS
# resolver's, in its thread; then its TCP socket, beside the lookup through a proxy), and the
# run a few of its own (its loop's, the catalogue, the output).
_FILES_PER_PROBE = 4
_FILES_OF_THE_RUN = 64


def open_files_for(concurrency: int) -> int:
    """Raise the soft limit on open files so that every probe in flight gets its descriptors;
    the probes in flight that the limit allows (fewer than `concurrency` only where the hard
    limit is low: the others then wait their turn rather than fail with EMFILE).

    The common soft limit of 1024 would cap a full run well below --concurrency.
    """
    try:
        import resource
    except ImportError:  # Windows has no such limit: its sockets are not counted as files
        return concurrency
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _FILES_PER_PROBE * concurrency + _FILES_OF_THE_RUN
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return concurrency
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, ceiling), hard))
    except (ValueError, OSError):  # a system maximum below the hard limit (macOS)
        ceiling = soft
    limit = max(soft, ceiling)
    return max(1, min(concurrency, (limit - _FILES_OF_THE_RUN) // _FILES_PER_PROBE))


def trust_stores(ca_bundle: str | None) -> tuple[TrustStore, ...]:
    """The deciding store first (--ca-bundle, else the operating system's, which the worker
    uses), then the others as evidence (netcheck.trust_stores)."""
    from netcheck import trust_stores as stores

    return stores.trust_stores(ca_bundle)


def planned(
    catalogue: Catalogue, selection: Selection, canary_label: str
) -> tuple[Selection, list[Target], list[Target]]:
    """(the selection as probed, its expanded targets, every target to probe or skip)."""
    # Revocation hosts are always probed: their failures are warnings, never failures.
    widened = dataclasses.replace(
        selection, deployments=selection.deployments | {Deployment.REVOCATION}
    )
    expanded = expand(catalogue, widened)
    return widened, expanded, probe_targets(expanded) + canaries(expanded, canary_label)


def settings_options(catalogue: Catalogue, settings: ProbeSettings) -> RunOptions:
    """The report's options as far as the settings and the catalogue tell: no selection yet."""
    return RunOptions(
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
    )


def run_check(
    catalogue: Catalogue,
    selection: Selection,
    settings: ProbeSettings,
    canary_label: str,
    observer: Observer | None = None,
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS,
    meanwhile: Callable[[], object] | None = None,
) -> Report:
    """Probe every target of the selection (revocation hosts and canaries included); warn
    about certificates that expire within `expiry_warning_days`.

    `meanwhile` runs while the probes wait on the network (a caller loads its renderer there).
    """
    widened, expanded, targets = planned(catalogue, selection, canary_label)
    probeable = [t for t in targets if t.skip_reason is None]
    generated = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    origin: list[PendingOrigin] = []
    rules: list[RuleContext] = []

    def prepare() -> None:
        # Once the probes' first queries are out: the origin's own name lookup (its FQDN)
        # then travels beside them, never before them.
        from netcheck.origin import PendingOrigin

        origin.append(PendingOrigin())
        # The rules pull in cryptography: importing them before the probes would delay every
        # first packet, after them would delay the report. They load while answers travel.
        from netcheck.findings import context_for

        rules.append(context_for(catalogue, bypass_domains(expanded), expiry_warning_days))
        if meanwhile is not None:
            meanwhile()

    started = time.monotonic()
    observations = dict(
        zip(probeable, probe_all(probeable, settings, observer, prepare), strict=True)
    )
    duration = (time.monotonic() - started) * 1000
    from netcheck.findings import evaluate, judge_run

    (ctx,) = rules
    results, run_findings = judge_run(
        tuple(evaluate(t, observations.get(t), ctx) for t in targets), ctx
    )
    return Report(
        tool_version=__version__,
        generated_at=generated,
        options=dataclasses.replace(
            settings_options(catalogue, settings),
            region="all" if selection.all_regions else selection.region.name,
            cloud=", ".join(sorted({r.cloud for r in selected_regions(catalogue, selection)})),
            workspace_id=selection.workspace_id,
            automation_account_id=selection.account_id,
            deployments=tuple(sorted(d.value for d in widened.deployments)),
        ),
        results=results,
        duration_ms=duration,
        findings=run_findings,
        origin=origin[0].result(),
    )
