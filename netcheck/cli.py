"""The command line: the only module that reads the environment, prints, or exits."""

from __future__ import annotations

import csv
import enum
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from netcheck import __version__
from netcheck.catalogue import load_catalogue
from netcheck.errors import UsageError
from netcheck.expand import (
    Selection,
    deployments_for,
    expand,
    find_region,
    parse_guid,
)
from netcheck.models import Catalogue, Observation, Target, TrustStore

F = TypeVar("F", bound=Callable[..., Any])


class Exit(enum.IntEnum):
    """Exit codes; documented in README.md and in `netcheck --help`."""

    OK = 0
    FINDINGS = 1  # at least one failing finding
    USAGE = 2  # bad usage or input
    INTERNAL = 3  # a bug in netcheck (details with --debug)


EXIT_HELP = (
    "Exit codes: 0 no failing finding; 1 at least one failing finding; "
    "2 bad usage or input; 3 internal error (rerun with --debug)."
)


def _env(name: str) -> str:
    return f"NETCHECK_{name}"


def selection_options(func: F) -> F:
    """Options that choose the targets; shared by every command that expands the catalogue."""
    decorators = [
        click.option(
            "--region",
            "-r",
            required=True,
            envvar=_env("REGION"),
            show_envvar=True,
            help='Azure region: ARM name (westeurope), display name ("West Europe") or '
            "location code (we); case-insensitive.",
        ),
        click.option(
            "--workspace-id",
            envvar=_env("WORKSPACE_ID"),
            show_envvar=True,
            metavar="GUID",
            help="Log Analytics workspace ID (agent-based worker, Update Management).",
        ),
        click.option(
            "--automation-account-id",
            envvar=_env("AUTOMATION_ACCOUNT_ID"),
            show_envvar=True,
            metavar="GUID",
            help="Automation account ID (extension-based worker).",
        ),
        click.option(
            "--update-management",
            is_flag=True,
            envvar=_env("UPDATE_MANAGEMENT"),
            show_envvar=True,
            help="Include the Update Management endpoints.",
        ),
        click.option(
            "--catalogue",
            envvar=_env("CATALOGUE"),
            show_envvar=True,
            metavar="FILE",
            help="Use this endpoint catalogue instead of the shipped one (see docs/catalogue.md).",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _select(
    region: str,
    workspace_id: str | None,
    automation_account_id: str | None,
    update_management: bool,
    catalogue: str | None,
) -> tuple[Catalogue, Selection]:
    loaded = load_catalogue(catalogue)
    workspace = parse_guid(workspace_id, "--workspace-id")
    account = parse_guid(automation_account_id, "--automation-account-id")
    selection = Selection(
        region=find_region(loaded, region),
        deployments=deployments_for(workspace, account, update_management),
        workspace_id=workspace,
        account_id=account,
    )
    return loaded, selection


def _emit(text: str, output: str | None) -> None:
    """The report goes to stdout, or to --output with a note on stderr."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write --output {output}: {exc.strerror}") from None
    click.echo(f"netcheck: report written to {output}", err=True)


# ---------------------------------------------------------------- the group


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_HELP,
)
@click.version_option(__version__, "--version", "-V", prog_name="netcheck")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Can this machine reach everything an Azure Automation Hybrid Runbook Worker needs?

    \b
    Examples:
      netcheck check --region westeurope --workspace-id <GUID> --update-management
      netcheck check -r we --proxy http://user:password@proxy.corp:3128 --format json
      netcheck regions
      netcheck endpoints --region usgovvirginia --automation-account-id <GUID>
    """
    ctx.obj = {"debug": debug}


# ---------------------------------------------------------------- check

_CHECK_EPILOG = (
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


@cli.command(epilog=_CHECK_EPILOG)
@selection_options
@click.option(
    "--proxy",
    envvar=_env("PROXY"),
    show_envvar=True,
    metavar="URL",
    help="Go through this HTTP proxy (CONNECT): http://[user:password@]host:port. "
    "The password is never printed.",
)
@click.option(
    "--ca-bundle",
    envvar=_env("CA_BUNDLE"),
    show_envvar=True,
    metavar="PEM",
    help="Trust these roots instead of the built-in certifi bundle.",
)
@click.option(
    "--dns-server",
    envvar=_env("DNS_SERVER"),
    show_envvar=True,
    metavar="IP",
    help="Ask this DNS server instead of the system's resolvers.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=300),
    default=5.0,
    show_default=True,
    envvar=_env("TIMEOUT"),
    show_envvar=True,
    metavar="SECONDS",
    help="Time allowed for each network step (DNS, connect, TLS, HTTP).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=1024),
    default=64,
    show_default=True,
    envvar=_env("CONCURRENCY"),
    show_envvar=True,
    help="Targets probed at the same time; more wait their turn.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "junit", "markdown"]),
    default="table",
    show_default=True,
    envvar=_env("FORMAT"),
    show_envvar=True,
    help="Report format (json is documented in docs/report-json.md).",
)
@click.option(
    "--output",
    "-o",
    envvar=_env("OUTPUT"),
    show_envvar=True,
    metavar="FILE",
    help="Write the report to FILE instead of stdout.",
)
def check(
    region: str,
    workspace_id: str | None,
    automation_account_id: str | None,
    update_management: bool,
    catalogue: str | None,
    proxy: str | None,
    ca_bundle: str | None,
    dns_server: str | None,
    timeout: float,
    concurrency: int,
    fmt: str,
    output: str | None,
) -> None:
    """Probe every endpoint the worker needs: DNS, TCP, TLS chain and HTTP, all at once.

    Each target gets a status (pass, warn, fail, skip) and findings with stable codes, a
    plain-language cause and a fix.
    """
    import ipaddress
    import secrets

    from netcheck.engine import run_check
    from netcheck.models import ProbeSettings
    from netcheck.proxy import parse_proxy
    from netcheck.report import Format, render

    loaded, selection = _select(
        region, workspace_id, automation_account_id, update_management, catalogue
    )
    proxy_settings = parse_proxy(proxy) if proxy is not None else None
    if dns_server is not None:
        try:
            ipaddress.ip_address(dns_server)
        except ValueError:
            raise UsageError(
                f"--dns-server {dns_server!r} is not an IP address (e.g. 10.0.0.53 or 2001:db8::53)"
            ) from None
    settings = ProbeSettings(
        timeout=timeout,
        trust=trust_stores(ca_bundle),
        proxy=proxy_settings,
        dns_server=dns_server,
        concurrency=concurrency,
    )
    canary = f"netcheck-canary-{secrets.token_hex(6)}"
    report = run_check(loaded, selection, settings, canary, _progress())
    _emit(render(report, Format(fmt)), output)
    sys.exit(Exit.FINDINGS if report.status.value == "fail" else Exit.OK)


def trust_stores(ca_bundle: str | None) -> tuple[TrustStore, ...]:
    """The deciding store first (--ca-bundle, else certifi), then the others as evidence:
    which store would accept a forged chain is what tells managed from unmanaged inspection."""
    import ssl

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


class _Progress:
    """A one-line counter on stderr while probes run; only when stderr is a terminal."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def started(self, total: int) -> None:
        self.total = total

    def finished(self, target: Target, observation: Observation) -> None:
        self.done += 1
        end = "\n" if self.done == self.total else ""
        click.echo(f"\r\033[Kprobing {self.done}/{self.total}: {target.host}", err=True, nl=False)
        if end:
            click.echo("\r\033[K", err=True, nl=False)


def _progress() -> _Progress | None:
    return _Progress() if sys.stderr.isatty() else None


# ---------------------------------------------------------------- listings


def _table_format(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "json", "csv"]),
        default="table",
        show_default=True,
        help="Listing format.",
    )(func)


def _listing(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=list(rows[0]) if rows else [], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows({k: _flat(v) for k, v in row.items()} for row in rows)
        return buffer.getvalue()
    from tabulate import tabulate

    return (
        tabulate(
            [[_flat(v) for v in row.values()] for row in rows],
            headers=[k.upper() for k in (rows[0] if rows else {})],
        )
        + "\n"
    )


def _flat(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@cli.command(
    epilog="\b\nExamples:\n  netcheck regions\n  netcheck regions --format csv > regions.csv"
)
@click.option(
    "--catalogue",
    envvar=_env("CATALOGUE"),
    show_envvar=True,
    metavar="FILE",
    help="Use this endpoint catalogue instead of the shipped one.",
)
@_table_format
def regions(catalogue: str | None, fmt: str) -> None:
    """List the regions of the catalogue with their location codes and records."""
    loaded = load_catalogue(catalogue)
    detailed = fmt != "table"
    rows = []
    for r in loaded.regions:
        row: dict[str, Any] = {
            "name": r.name,
            "display_name": r.display_name,
            "code": r.code,
            "cloud": r.cloud,
        }
        row["account_domains"] = list(r.account_domains)
        row["legacy_jrds"] = r.legacy_jrds
        if detailed:
            row["legacy_agentservice"] = r.legacy_agentservice
            row["original_2018"] = r.original_2018
            row["doubtful"] = r.doubtful
            row["source"] = r.source
        else:
            row["doubtful"] = bool(r.doubtful)
        rows.append(row)
    click.echo(_listing(rows, fmt), nl=False)


@cli.command(
    epilog="\b\nExamples:\n  netcheck endpoints --region westeurope --workspace-id <GUID> "
    "--update-management\n  netcheck endpoints -r usgovvirginia --format csv"
)
@selection_options
@_table_format
def endpoints(
    region: str,
    workspace_id: str | None,
    automation_account_id: str | None,
    update_management: bool,
    catalogue: str | None,
    fmt: str,
) -> None:
    """List the targets a check would probe, with purpose and source."""
    loaded, selection = _select(
        region, workspace_id, automation_account_id, update_management, catalogue
    )
    rows = []
    for t in expand(loaded, selection):
        # The table stays readable at 100 columns; the full list is in json and csv.
        covered = (
            f"covered by {len(t.covered_by)} probed host(s)"
            if fmt == "table"
            else "covered by " + " ".join(t.covered_by)
        )
        probe = covered if t.covered_by else f"skip: {t.skip_reason}" if t.skip_reason else "probe"
        row: dict[str, Any] = {
            "host": t.host,
            "port": t.port,
            "check": probe,
            "deployments": sorted(d.value for d in t.deployments),
            "purpose": t.purpose,
        }
        if fmt != "table":
            row |= {
                "bypass_inspection": t.bypass_inspection,
                "service_tags": list(t.service_tags),
                "endpoints": list(t.endpoint_ids),
                "doubtful": t.doubtful,
                "source": t.source,
            }
        rows.append(row)
    click.echo(_listing(rows, fmt), nl=False)


# ---------------------------------------------------------------- entry point


def main() -> None:
    """Run the CLI; usage errors become one line and exit 2, bugs exit 3."""
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except UsageError as exc:
        click.echo(f"netcheck: error: {exc}", err=True)
        sys.exit(Exit.USAGE)
    except click.exceptions.Abort:
        click.echo("netcheck: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(Exit.USAGE)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if debug:
            raise
        click.echo(
            f"netcheck: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --debug for the traceback)",
            err=True,
        )
        sys.exit(Exit.INTERNAL)
