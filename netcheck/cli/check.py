"""`netcheck check`: probe every endpoint the worker needs and report what is in the way."""

from __future__ import annotations

import sys

import click

from netcheck.cli.base import (
    EXIT_HELP,
    Exit,
    ProbeArgs,
    SelectionArgs,
    emit,
    option,
    probe_options,
    progress,
    select,
    selection_options,
)
from netcheck.formats import REPORT_RENDERERS, Format

_EPILOG = (
    """\b
Examples:
  # before installing an agent-based worker with Update Management
  netcheck check --region westeurope --workspace-id 1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b \\
      --update-management
  # an extension-based worker behind an authenticated proxy, JUnit for CI
  netcheck check -r eastus2 --automation-account-id <GUID> \\
      --proxy http://svc-hrw:secret@proxy.corp:3128 --format junit --output netcheck.xml
  # a region added after this release
  netcheck check --region newregion --catalogue my-regions.yaml

\b
"""
    + EXIT_HELP
)


@click.command(epilog=_EPILOG)
@selection_options
@click.option(
    "--all-regions",
    is_flag=True,
    help="Instead of --region: every region of the catalogue at once, each host probed once "
    "(e.g. one central proxy serving workers in many regions).",
)
@option(
    "--proxy",
    env="PROXY",
    metavar="URL",
    help="Go through this HTTP proxy (CONNECT): http://[user:password@]host:port. "
    "The password is never printed.",
)
@probe_options(REPORT_RENDERERS)
def check(
    selection: SelectionArgs,
    all_regions: bool,
    proxy: str | None,
    probe: ProbeArgs,
    fmt: str,
    output: str | None,
) -> None:
    """Probe every endpoint the worker needs: DNS, TCP, TLS chain and HTTP, all at once.

    Each target gets a status (pass, warn, fail, skip) and findings with stable codes, a
    plain-language cause and a fix.
    """
    from netcheck.check_run import probe_settings, run_check
    from netcheck.expand import canary_label
    from netcheck.proxy_url import parse_proxy

    loaded, chosen = select(selection, all_regions=all_regions)
    proxy_settings = parse_proxy(proxy) if proxy is not None else None
    settings = probe_settings(
        probe.ca_bundle, probe.dns_server, probe.timeout, probe.concurrency, proxy_settings
    )
    report = run_check(
        loaded,
        chosen,
        settings,
        canary_label(),
        progress(),
        probe.expiry_warning_days,
        # the renderer's module (tabulate for a table) loads while the probes wait
        meanwhile=lambda: REPORT_RENDERERS.renderer(Format(fmt)),
    )
    emit(REPORT_RENDERERS.render(report, Format(fmt)), output)
    sys.exit(Exit.FINDINGS if report.status.value == "fail" else Exit.OK)
