"""`netcheck diagnose`: troubleshoot this worker host from what is installed on it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from netcheck.cli.base import (
    CATALOGUE_OPTION,
    EXIT_HELP,
    Exit,
    ProbeArgs,
    emit,
    probe_options,
    progress,
)
from netcheck.errors import UsageError
from netcheck.formats import DIAGNOSE_RENDERERS, Format

_EPILOG = (
    """\b
Examples:
  # on a failing worker host, as root (services, logs and keys need it)
  sudo netcheck diagnose
  # everything a support engineer asks for, in one file
  sudo netcheck diagnose --bundle hrw-support.zip
  # a worker's disk mounted elsewhere, probed through another proxy
  netcheck diagnose --root /mnt/worker --proxy http://proxy.corp:3128 --format json

\b
"""
    + EXIT_HELP
)


@click.command(epilog=_EPILOG)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False),
    metavar="DIR",
    help="Read the host's files below DIR (a mounted disk image) [default: / ; on Windows "
    "the system drive, %SystemDrive%\\]. Services, the registry and Windows commands are "
    "queried only when DIR is this machine's root.",
)
@click.option(
    "--region",
    "-r",
    help="The region to probe when the worker's settings name none (overrides them).",
)
@CATALOGUE_OPTION
@click.option(
    "--proxy",
    metavar="URL",
    help="Probe through this HTTP proxy instead of the one the worker is configured with: "
    "http://[user:password@]host:port. The password is never printed.",
)
@probe_options(DIAGNOSE_RENDERERS)
@click.option(
    "--bundle",
    metavar="FILE.zip",
    help="Also write a support bundle: the report in every format, the worker's "
    "configuration and log tails, secrets redacted.",
)
def diagnose(
    root: str | None,
    region: str | None,
    catalogue: str | None,
    proxy: str | None,
    probe: ProbeArgs,
    fmt: str,
    output: str | None,
    bundle: str | None,
) -> None:
    """Troubleshoot this worker host from what is installed on it.

    Checks the host against the worker's minimums, finds the installed worker (agent- or
    extension-based, Linux or Windows), whether it runs, its workspace, account, region and
    proxy, scans its logs for known failures, probes the endpoints it uses through the proxy it
    uses, and ends with a ranked diagnosis: the most likely cause first, with evidence and fix.
    """
    import functools
    import os

    from netcheck.catalogue import load_catalogue
    from netcheck.check_run import probe_settings
    from netcheck.commands import console_encoding, run_command
    from netcheck.diagnose.diagnose_run import run_diagnose
    from netcheck.diagnose.hostfs import HostFiles, default_root, is_system_root
    from netcheck.diagnose.proxy_choice import given
    from netcheck.diagnose.render import BUNDLE_NAMES
    from netcheck.diagnose.windows_registry import open_registry
    from netcheck.expand import canary_label

    root = root or default_root(sys.platform, os.environ)
    files = HostFiles(Path(root))
    live = is_system_root(root, sys.platform, os.environ)
    live_windows = live and sys.platform == "win32"
    diagnosis = run_diagnose(
        files=files,
        runner=functools.partial(run_command, encoding=console_encoding()) if live else None,
        registry=open_registry() if live_windows else None,
        cpu_cores=os.cpu_count() if live_windows else None,
        on_windows=sys.platform == "win32" or files.windows,
        environment=os.environ,
        catalogue=load_catalogue(catalogue),
        region=region,
        proxy_override=given(proxy) if proxy is not None else None,
        settings=probe_settings(
            probe.ca_bundle, probe.dns_server, probe.timeout, probe.concurrency
        ),
        canary_label=canary_label(),
        observer=progress(),
        expiry_warning_days=probe.expiry_warning_days,
    )
    emit(DIAGNOSE_RENDERERS.render(diagnosis, Format(fmt)), output)
    if bundle is not None:
        from netcheck.diagnose.bundle import build

        reports = {
            name: DIAGNOSE_RENDERERS.render(diagnosis, f) for f, name in BUNDLE_NAMES.items()
        }
        try:
            Path(bundle).write_bytes(build(reports=reports, diagnosis=diagnosis, files=files))
        except OSError as exc:
            raise UsageError(f"cannot write --bundle {bundle}: {exc.strerror}") from None
        click.echo(f"netcheck: support bundle written to {bundle}", err=True)
    sys.exit(Exit.FINDINGS if diagnosis.status.value == "fail" else Exit.OK)
