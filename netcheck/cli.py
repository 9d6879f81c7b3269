"""The command line: the only module that reads the environment, prints, or exits."""

from __future__ import annotations

import contextlib
import csv
import enum
import io
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from netcheck import __version__
from netcheck.errors import UsageError
from netcheck.firewall import Format as RulesFormat

# The catalogue, expansion and models (PyYAML, hundreds of dataclasses) are imported by the
# commands that use them: `netcheck --version` and `--help` must start about as fast as Python.
if TYPE_CHECKING:
    from netcheck.expand import Selection
    from netcheck.models import (
        Catalogue,
        DnsObservation,
        Observation,
        ProbeSettings,
        ProxySettings,
        Target,
        TrustStore,
    )

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
# Commands that list or generate rather than probe never exit 1.
OUTPUT_EXIT_HELP = (
    "Exit codes: 0 done; 2 bad usage or input; 3 internal error (rerun with --debug)."
)


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _option(*decls: str, env: str, **attrs: Any) -> Decorator:
    """An option that can also come from the environment variable NETCHECK_<env>."""
    return click.option(*decls, envvar=f"NETCHECK_{env}", show_envvar=True, **attrs)


def _stack(func: F, decorators: Sequence[Decorator]) -> F:
    """Apply option decorators in the order they are listed (as they would read stacked)."""
    wrapped: Callable[..., Any] = func
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return cast(F, wrapped)


def selection_options(func: F) -> F:
    """Options that choose the targets; shared by every command that expands the catalogue."""
    decorators = [
        _option(
            "--region",
            "-r",
            env="REGION",
            help='Azure region: ARM name (westeurope), display name ("West Europe") or '
            "location code (we); case-insensitive. Required (check: or --all-regions).",
        ),
        _option(
            "--workspace-id",
            env="WORKSPACE_ID",
            metavar="GUID",
            help="Log Analytics workspace ID (agent-based worker, Update Management).",
        ),
        _option(
            "--automation-account-id",
            env="AUTOMATION_ACCOUNT_ID",
            metavar="GUID",
            help="Automation account ID (extension-based worker).",
        ),
        _option(
            "--update-management",
            is_flag=True,
            env="UPDATE_MANAGEMENT",
            help="Include the Update Management endpoints.",
        ),
        _option(
            "--catalogue",
            env="CATALOGUE",
            metavar="FILE",
            help="Use this endpoint catalogue instead of the shipped one (see docs/catalogue.md).",
        ),
    ]
    return _stack(func, decorators)


def _select(
    region: str | None,
    workspace_id: str | None,
    automation_account_id: str | None,
    update_management: bool,
    catalogue: str | None,
    include_revocation: bool = False,
    all_regions: bool = False,
) -> tuple[Catalogue, Selection]:
    from netcheck.catalogue import load_catalogue
    from netcheck.expand import Selection, deployments_for, find_region, parse_guid

    if all_regions and region is not None:
        raise UsageError("give --region or --all-regions, not both")
    if not all_regions and region is None:
        raise UsageError(
            "missing --region (e.g. --region westeurope; 'netcheck regions' lists them)"
        )
    loaded = load_catalogue(catalogue)
    if region is None and not loaded.regions:
        raise UsageError(f"--all-regions: the catalogue {loaded.path} has no regions")
    workspace = parse_guid(workspace_id, "--workspace-id")
    account = parse_guid(automation_account_id, "--automation-account-id")
    selection = Selection(
        region=find_region(loaded, region) if region is not None else loaded.regions[0],
        deployments=deployments_for(workspace, account, update_management, include_revocation),
        workspace_id=workspace,
        account_id=account,
        all_regions=all_regions,
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


def probe_options(func: F) -> F:
    """The probe and output options; shared by check and diagnose."""
    decorators = [
        _option(
            "--ca-bundle",
            env="CA_BUNDLE",
            metavar="PEM",
            help="Trust these roots instead of the built-in certifi bundle.",
        ),
        _option(
            "--dns-server",
            env="DNS_SERVER",
            metavar="IP",
            help="Ask this DNS server instead of the system's resolvers.",
        ),
        _option(
            "--timeout",
            type=click.FloatRange(min=0.1, max=300),
            default=5.0,
            show_default=True,
            env="TIMEOUT",
            metavar="SECONDS",
            help="Time allowed for each network step (DNS, connect, TLS, HTTP).",
        ),
        _option(
            "--concurrency",
            type=click.IntRange(min=1, max=1024),
            default=256,
            show_default=True,
            env="CONCURRENCY",
            help="Targets probed at the same time; more wait their turn.",
        ),
        _option(
            "--format",
            "fmt",
            type=click.Choice(["table", "json", "junit", "markdown"]),
            default="table",
            show_default=True,
            env="FORMAT",
            help="Report format (json is documented in docs/report-json.md).",
        ),
        _option(
            "--output",
            "-o",
            env="OUTPUT",
            metavar="FILE",
            help="Write the report to FILE instead of stdout.",
        ),
    ]
    return _stack(func, decorators)


@cli.command(epilog=_CHECK_EPILOG)
@selection_options
@click.option(
    "--all-regions",
    is_flag=True,
    help="Instead of --region: every region of the catalogue at once, each host probed once "
    "(e.g. one central proxy serving workers in many regions).",
)
@_option(
    "--proxy",
    env="PROXY",
    metavar="URL",
    help="Go through this HTTP proxy (CONNECT): http://[user:password@]host:port. "
    "The password is never printed.",
)
@probe_options
def check(
    region: str | None,
    workspace_id: str | None,
    automation_account_id: str | None,
    update_management: bool,
    catalogue: str | None,
    all_regions: bool,
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
    import secrets

    from netcheck.engine import run_check
    from netcheck.proxy import parse_proxy
    from netcheck.report import Format, render

    loaded, selection = _select(
        region,
        workspace_id,
        automation_account_id,
        update_management,
        catalogue,
        all_regions=all_regions,
    )
    proxy_settings = parse_proxy(proxy) if proxy is not None else None
    settings = probe_settings(ca_bundle, dns_server, timeout, concurrency, proxy_settings)
    canary = f"netcheck-canary-{secrets.token_hex(6)}"
    report = run_check(loaded, selection, settings, canary, _progress())
    _emit(render(report, Format(fmt)), output)
    sys.exit(Exit.FINDINGS if report.status.value == "fail" else Exit.OK)


def probe_settings(
    ca_bundle: str | None,
    dns_server: str | None,
    timeout: float,
    concurrency: int,
    proxy: ProxySettings | None = None,
) -> ProbeSettings:
    """The settings of one probe run; --dns-server must be an IP address."""
    import ipaddress

    from netcheck.models import ProbeSettings

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
    import ssl

    import certifi

    from netcheck.models import TrustStore

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
        # Probe threads report at once; the count and the line must not interleave.
        self._lock = threading.Lock()

    def started(self, total: int) -> None:
        self.total = total

    def finished(self, target: Target, observation: Observation) -> None:
        with self._lock:
            self.done += 1
            line = f"\r\033[Kprobing {self.done}/{self.total}: {target.host}"
            # The last one wipes the line, so the report or the next prompt starts clean.
            click.echo("\r\033[K" if self.done == self.total else line, err=True, nl=False)


def _progress() -> _Progress | None:
    return _Progress() if sys.stderr.isatty() else None


# ---------------------------------------------------------------- diagnose and explain

_DIAGNOSE_EPILOG = (
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


@cli.command(epilog=_DIAGNOSE_EPILOG)
@click.option(
    "--root",
    default="/",
    show_default=True,
    type=click.Path(exists=True, file_okay=False),
    metavar="DIR",
    help="Read the host's files below DIR (a mounted disk image); services and Windows "
    "commands are queried only when DIR is this machine's root.",
)
@click.option(
    "--region",
    "-r",
    help="The region to probe when the worker's settings name none (overrides them).",
)
@_option(
    "--catalogue",
    env="CATALOGUE",
    metavar="FILE",
    help="Use this endpoint catalogue instead of the shipped one.",
)
@click.option(
    "--proxy",
    metavar="URL",
    help="Probe through this HTTP proxy instead of the one the worker is configured with: "
    "http://[user:password@]host:port. The password is never printed.",
)
@probe_options
@click.option(
    "--bundle",
    metavar="FILE.zip",
    help="Also write a support bundle: the report in every format, the worker's "
    "configuration and log tails, secrets redacted.",
)
def diagnose(
    root: str,
    region: str | None,
    catalogue: str | None,
    proxy: str | None,
    ca_bundle: str | None,
    dns_server: str | None,
    timeout: float,
    concurrency: int,
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
    import os
    import secrets

    from netcheck.catalogue import load_catalogue
    from netcheck.diagnose.commands import run_command
    from netcheck.diagnose.engine import run_diagnose
    from netcheck.diagnose.hostfs import HostFiles
    from netcheck.diagnose.proxy import given
    from netcheck.report import Format
    from netcheck.report.diagnose_format import BUNDLE_NAMES, render

    files = HostFiles(Path(root))
    diagnosis = run_diagnose(
        files,
        run_command if files.live else None,
        sys.platform == "win32",
        os.environ,
        load_catalogue(catalogue),
        region,
        given(proxy) if proxy is not None else None,
        probe_settings(ca_bundle, dns_server, timeout, concurrency),
        f"netcheck-canary-{secrets.token_hex(6)}",
        _progress(),
    )
    _emit(render(diagnosis, Format(fmt)), output)
    if bundle is not None:
        from netcheck.diagnose.bundle import build

        reports = {name: render(diagnosis, f) for f, name in BUNDLE_NAMES.items()}
        try:
            Path(bundle).write_bytes(build(reports, diagnosis, files))
        except OSError as exc:
            raise UsageError(f"cannot write --bundle {bundle}: {exc.strerror}") from None
        click.echo(f"netcheck: support bundle written to {bundle}", err=True)
    sys.exit(Exit.FINDINGS if diagnosis.status.value == "fail" else Exit.OK)


@cli.command(
    epilog="\b\nExamples:\n  netcheck explain TLS_INTERCEPTED\n  netcheck explain --list\n\n"
    + OUTPUT_EXIT_HELP
)
@click.argument("code", required=False)
@click.option("--list", "list_all", is_flag=True, help="List every finding code.")
def explain(code: str | None, list_all: bool) -> None:
    """What a finding CODE means, why it matters for the worker, how to fix it, what to read."""
    from netcheck.report.explain import describe, listing, lookup

    if list_all == (code is not None):
        raise UsageError("give one finding CODE or --list (e.g. netcheck explain TLS_INTERCEPTED)")
    click.echo(listing() if code is None else describe(lookup(code)), nl=False)


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
    epilog="\b\nExamples:\n  netcheck regions\n  netcheck regions --format csv > regions.csv\n\n"
    + OUTPUT_EXIT_HELP
)
@_option(
    "--catalogue",
    env="CATALOGUE",
    metavar="FILE",
    help="Use this endpoint catalogue instead of the shipped one.",
)
@_table_format
def regions(catalogue: str | None, fmt: str) -> None:
    """List the regions of the catalogue with their location codes and records."""
    from netcheck.catalogue import load_catalogue

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
    "--update-management\n  netcheck endpoints -r usgovvirginia --format csv\n\n" + OUTPUT_EXIT_HELP
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
    from netcheck.expand import expand

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


# ---------------------------------------------------------------- rules

_RULES_EPILOG = (
    """\b
Examples:
  # the destinations for both worker types in West Europe, one per line
  netcheck rules --region westeurope --format list
  # squid ACLs for an agent-based worker with Update Management
  netcheck rules -r we --workspace-id <GUID> --update-management --format squid -o hrw.squid
  # iptables rules from Microsoft's weekly service tag file
  netcheck rules -r we --format iptables --service-tags ServiceTags_Public_20250106.json
  # what to exempt from TLS inspection, in the terms of common products
  netcheck rules -r eastus2 --automation-account-id <GUID> --format tls-bypass

\b
Every format is described in docs/rules.md.
"""
    + OUTPUT_EXIT_HELP
)


@cli.command(epilog=_RULES_EPILOG)
@selection_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in RulesFormat]),
    default=RulesFormat.LIST.value,
    show_default=True,
    help="Rule format: a list, a proxy or firewall configuration (see docs/rules.md).",
)
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Write the rules to FILE instead of stdout.",
)
@click.option(
    "--pac-proxy",
    metavar="HOST:PORT",
    help="With --format pac: send the destinations through this proxy (default: DIRECT).",
)
@click.option(
    "--service-tags",
    multiple=True,
    metavar="FILE",
    help="Microsoft's ServiceTags_*.json (or the legacy datacenter IP XML), for the "
    "address-based formats; repeatable.",
)
@click.option(
    "--resolve",
    is_flag=True,
    help="Add today's DNS answers of the concrete hosts, for the address-based formats "
    "(they change without notice).",
)
@click.option(
    "--include-revocation",
    is_flag=True,
    help="Include the plain-HTTP (port 80) certificate download and revocation hosts.",
)
def rules(
    region: str,
    workspace_id: str | None,
    automation_account_id: str | None,
    update_management: bool,
    catalogue: str | None,
    fmt: str,
    output: str | None,
    pac_proxy: str | None,
    service_tags: tuple[str, ...],
    resolve: bool,
    include_revocation: bool,
) -> None:
    """Write the allow list of the same targets `check` probes, in a network device's format.

    Wildcards stay wildcards where the format can say so; what a format cannot express
    (a wildcard in an IP rule, a host without a service tag in an NSG) is listed in its
    header. Output is sorted and stable, so it diffs cleanly in a change request.
    """
    from netcheck.expand import expand
    from netcheck.firewall import HEADERLESS, NEEDS_ADDRESSES, TAKES_ADDRESSES, render
    from netcheck.firewall.addresses import attach
    from netcheck.firewall.proxies import parse_pac_proxy
    from netcheck.firewall.ruleset import build, commented, header_lines
    from netcheck.firewall.servicetags import parse

    chosen = RulesFormat(fmt)
    if pac_proxy is not None and chosen is not RulesFormat.PAC:
        raise UsageError(f"--pac-proxy applies only to --format pac, not --format {fmt}")
    addressed = bool(service_tags) or resolve
    if chosen in NEEDS_ADDRESSES and not addressed:
        raise UsageError(
            f"--format {fmt} matches addresses, not names: give --service-tags FILE "
            "(Microsoft's weekly ServiceTags_*.json) and/or --resolve"
        )
    if addressed and chosen not in TAKES_ADDRESSES:
        formats = ", ".join(sorted(f.value for f in TAKES_ADDRESSES))
        raise UsageError(f"--service-tags and --resolve apply only to --format {formats}")
    proxy_address = parse_pac_proxy(pac_proxy) if pac_proxy is not None else None
    loaded, selection = _select(
        region,
        workspace_id,
        automation_account_id,
        update_management,
        catalogue,
        include_revocation,
    )
    tag_files = [parse(Path(p).name, _read_text(p, "--service-tags")) for p in service_tags]
    ruleset = build(
        loaded,
        selection,
        expand(loaded, selection),
        __version__,
        fmt,
        proxy_address,
        [f.name for f in tag_files],
        resolve,
    )
    if addressed:
        hosts = [e.host for e in ruleset.entries if not e.wildcard]
        ruleset = attach(ruleset, tag_files, _resolve_hosts(hosts) if resolve else None)
    if chosen in HEADERLESS:
        click.echo(commented(header_lines(ruleset), "# "), err=True, nl=False)
    _emit(render(ruleset, chosen), output)


def _read_text(path: str, option: str) -> str:
    try:
        # utf-8-sig: Microsoft's downloads start with a byte-order mark
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {option} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {option} {path}: not UTF-8 text") from None


def _resolve_hosts(hosts: list[str]) -> dict[str, DnsObservation]:
    """Today's DNS answers for --resolve, from the probe layer's resolver."""
    from concurrent.futures import ThreadPoolExecutor

    from netcheck.probes.resolve import make_resolver, resolve

    resolver = make_resolver(None, timeout=5.0)
    # resolve() asks for AAAA in the pool while it asks for A itself; one host at a time
    with ThreadPoolExecutor(1, thread_name_prefix="dns") as pool:
        return {host: resolve(host, resolver, pool) for host in dict.fromkeys(hosts)}


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
        # click's own usage errors, in the same one-line form as ours.
        context = getattr(exc, "ctx", None)
        where = context.command_path if context is not None else "netcheck"
        message = " ".join(exc.format_message().split())
        click.echo(f"netcheck: error: {message} (see '{where} --help')", err=True)
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


def run() -> None:
    """The console entry point (and `python -m netcheck`): main(), then leave at once.

    Once the report is written and flushed, finalising the interpreter (some 400 modules and
    their objects) only costs time: about 35 ms of every check. Tests call main() instead.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe has nobody left to tell
            stream.flush()
    os._exit(code)
