"""One check from selection to report: settings, expand, add canaries, probe, judge.

Shared by `check`, `diagnose` and anything else that runs a check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import ssl
import time
from pathlib import Path

from netcheck import __version__
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
    TrustStore,
)
from netcheck.origin import PendingOrigin
from netcheck.probes import Observer, probe_all


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
    _allow_open_files(concurrency)
    return ProbeSettings(
        timeout=timeout,
        trust=trust_stores(ca_bundle),
        proxy=proxy,
        dns_server=dns_server,
        concurrency=concurrency,
    )


def _allow_open_files(concurrency: int) -> None:
    """Raise the soft limit on open files so every probe in flight gets its descriptors.

    A probe holds up to four at once (two DNS sockets, then its TCP socket and a selector);
    the common soft limit of 1024 would cap a full run well below --concurrency.
    """
    try:
        import resource
    except ImportError:  # Windows has no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * concurrency + 64
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, ceiling), hard))


def trust_stores(ca_bundle: str | None) -> tuple[TrustStore, ...]:
    """The deciding store first (--ca-bundle, else certifi), then the others as evidence:
    which store would accept a forged chain is what tells managed from unmanaged inspection."""
    import certifi

    stores = [TrustStore("--ca-bundle", ca_bundle)] if ca_bundle else []
    stores.append(TrustStore("certifi", certifi.where()))
    paths = ssl.get_default_verify_paths()
    system = next(
        (p for p in (paths.cafile, paths.openssl_cafile) if p and Path(p).is_file()), None
    )
    if system is not None:
        stores.append(TrustStore("system", system))
    return tuple(stores)


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
    origin = PendingOrigin()  # its name lookup travels beside the probes, never before them
    started = time.monotonic()
    observations = dict(zip(probeable, probe_all(probeable, settings, observer), strict=True))
    duration = (time.monotonic() - started) * 1000
    # Imported only now: the rules pull in cryptography, which the probes load while their
    # first lookups travel; importing it before them would delay every first packet.
    from netcheck.findings import context_for, evaluate, run_rules

    ctx = context_for(catalogue, bypass_domains(expanded))
    results = tuple(evaluate(t, observations.get(t), ctx) for t in targets)
    return Report(
        tool_version=__version__,
        generated_at=generated,
        options=RunOptions(
            region="all" if selection.all_regions else selection.region.name,
            cloud=", ".join(sorted({r.cloud for r in selected_regions(catalogue, selection)})),
            workspace_id=selection.workspace_id,
            automation_account_id=selection.account_id,
            deployments=tuple(sorted(d.value for d in widened.deployments)),
            proxy=settings.proxy.redacted_url if settings.proxy else None,
            dns_server=settings.dns_server,
            timeout=settings.timeout,
            trust=settings.trust,
            catalogue=CatalogueRef(catalogue.path, catalogue.date),
        ),
        results=results,
        duration_ms=duration,
        findings=tuple(run_rules(results, ctx)),
        origin=origin.result(),
    )
