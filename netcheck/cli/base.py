"""What the commands share: exit statuses, option groups, the selection and where output goes."""

from __future__ import annotations

import enum
import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from netcheck import DEFAULT_CONCURRENCY, DEFAULT_EXPIRY_WARNING_DAYS
from netcheck.errors import UsageError
from netcheck.formats import Format, ListingFormat

if TYPE_CHECKING:
    from netcheck.expand import Selection
    from netcheck.models import Catalogue, Observation, Target

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class Exit(enum.IntEnum):
    """Every exit status netcheck uses; documented in README.md and in `netcheck --help`."""

    OK = 0
    FINDINGS = 1  # at least one failing finding
    USAGE = 2  # bad usage or input
    INTERNAL = 3  # a bug in netcheck (details with --debug)
    INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT (128 + 2)


EXIT_HELP = (
    "Exit codes: 0 no failing finding; 1 at least one failing finding; "
    "2 bad usage or input; 3 internal error (rerun with --debug)."
)
# Commands that list or generate rather than probe never exit 1.
OUTPUT_EXIT_HELP = (
    "Exit codes: 0 done; 2 bad usage or input; 3 internal error (rerun with --debug)."
)


def option(*decls: str, env: str, **attrs: Any) -> Decorator:
    """An option that can also come from the environment variable NETCHECK_<env>."""
    return click.option(*decls, envvar=f"NETCHECK_{env}", show_envvar=True, **attrs)


def stack(func: F, decorators: Sequence[Decorator]) -> F:
    """Apply option decorators in the order they are listed (as they would read stacked)."""
    wrapped: Callable[..., Any] = func
    for decorator in reversed(decorators):
        wrapped = decorator(wrapped)
    return cast(F, wrapped)


def number_option(
    name: str,
    kind: click.FloatRange | click.IntRange,
    default: float,
    metavar: str,
    description: str,
) -> Decorator:
    """A bounded number with a default, also read from NETCHECK_<NAME>."""
    return option(
        name,
        type=kind,
        default=default,
        show_default=True,
        env=name.removeprefix("--").upper().replace("-", "_"),
        metavar=metavar,
        help=description,
    )


def choices(formats: Iterable[enum.Enum]) -> click.Choice[str]:
    """A --format choice list taken from a renderer registry."""
    return click.Choice([str(member.value) for member in formats])


@dataclass(frozen=True)
class SelectionArgs:
    """The options that choose the targets, as typed."""

    region: str | None
    workspace_id: str | None
    automation_account_id: str | None
    update_management: bool
    catalogue: str | None


@dataclass(frozen=True)
class ProbeArgs:
    """The options that tune the probes, as typed."""

    ca_bundle: str | None
    dns_server: str | None
    timeout: float
    concurrency: int
    expiry_warning_days: int


def grouped(
    func: F, decorators: Sequence[Decorator], group: type[SelectionArgs | ProbeArgs], name: str
) -> F:
    """Apply the option decorators; the command receives their values as one `group` object
    under `name` instead of one parameter each."""
    names = [f.name for f in fields(group)]

    @functools.wraps(func)
    def command(**kwargs: Any) -> Any:
        values = {n: kwargs.pop(n) for n in names}
        return func(**kwargs, **{name: group(**values)})

    return stack(cast(F, command), decorators)


CATALOGUE_OPTION = option(
    "--catalogue",
    env="CATALOGUE",
    metavar="FILE",
    help="Use this endpoint catalogue instead of the shipped one (see docs/catalogue.md).",
)


def format_option(
    formats: Iterable[enum.Enum], default: enum.Enum, description: str, env: str | None = None
) -> Decorator:
    """--format with the choices of a renderer registry."""
    attrs: dict[str, Any] = {"envvar": f"NETCHECK_{env}", "show_envvar": True} if env else {}
    return click.option(
        "--format",
        "fmt",
        type=choices(formats),
        default=str(default.value),
        show_default=True,
        help=description,
        **attrs,
    )


LISTING_FORMAT_OPTION = format_option(ListingFormat, ListingFormat.TABLE, "Listing format.")


def selection_options(func: F) -> F:
    """Options that choose the targets, passed as `selection: SelectionArgs`; shared by every
    command that expands the catalogue."""
    decorators = [
        option(
            "--region",
            "-r",
            env="REGION",
            help='Azure region: ARM name (westeurope), display name ("West Europe") or '
            "location code (we); case-insensitive. Required (check: or --all-regions).",
        ),
        option(
            "--workspace-id",
            env="WORKSPACE_ID",
            metavar="GUID",
            help="Log Analytics workspace ID (agent-based worker, Update Management).",
        ),
        option(
            "--automation-account-id",
            env="AUTOMATION_ACCOUNT_ID",
            metavar="GUID",
            help="Automation account ID (extension-based worker).",
        ),
        option(
            "--update-management",
            is_flag=True,
            env="UPDATE_MANAGEMENT",
            help="Include the Update Management endpoints.",
        ),
        CATALOGUE_OPTION,
    ]
    return grouped(func, decorators, SelectionArgs, "selection")


def probe_options(formats: Iterable[Format]) -> Callable[[F], F]:
    """The probe options of a command that probes (check, diagnose), passed as
    `probe: ProbeArgs`, and its --format (the formats of its renderer registry) and --output."""

    def apply(func: F) -> F:
        decorators = [
            option(
                "--ca-bundle",
                env="CA_BUNDLE",
                metavar="PEM",
                help="Trust these roots instead of the operating system's store (certifi where there is none).",
            ),
            option(
                "--dns-server",
                env="DNS_SERVER",
                metavar="IP",
                help="Ask this DNS server instead of the system's resolvers.",
            ),
            number_option(
                "--timeout",
                click.FloatRange(min=0.1, max=300),
                5.0,
                "SECONDS",
                "Time allowed for each network step (DNS, connect, TLS, HTTP).",
            ),
            number_option(
                "--concurrency",
                click.IntRange(min=1, max=1024),
                DEFAULT_CONCURRENCY,
                "N",
                "Targets probed at the same time; more wait their turn.",
            ),
            number_option(
                "--expiry-warning-days",
                click.IntRange(min=0, max=3650),
                DEFAULT_EXPIRY_WARNING_DAYS,
                "DAYS",
                "Warn (TLS_EXPIRING) about a presented certificate that expires within DAYS; "
                "0 turns the warning off.",
            ),
        ]
        reporting = [
            format_option(
                formats,
                Format.TABLE,
                "Report format (json is documented in docs/report-json.md).",
                env="FORMAT",
            ),
            option(
                "--output",
                "-o",
                env="OUTPUT",
                metavar="FILE",
                help="Write the report to FILE instead of stdout.",
            ),
        ]
        return grouped(stack(func, reporting), decorators, ProbeArgs, "probe")

    return apply


def select(
    args: SelectionArgs, include_revocation: bool = False, all_regions: bool = False
) -> tuple[Catalogue, Selection]:
    """The catalogue and the selection the options name; bad input is a UsageError."""
    from netcheck.catalogue import load_catalogue
    from netcheck.expand import selection_for

    region = args.region
    if all_regions and region is not None:
        raise UsageError("give --region or --all-regions, not both")
    if not all_regions and region is None:
        raise UsageError(
            "missing --region (e.g. --region westeurope; 'netcheck regions' lists them)"
        )
    loaded = load_catalogue(args.catalogue)
    if region is None and not loaded.regions:
        raise UsageError(f"--all-regions: the catalogue {loaded.path} has no regions")
    selection = selection_for(
        loaded,
        region,
        args.workspace_id,
        args.automation_account_id,
        args.update_management,
        include_revocation,
    )
    return loaded, selection


def emit(text: str, output: str | None) -> None:
    """The report goes to stdout, or to --output with a note on stderr.

    --output files are UTF-8 with LF line ends on every platform: written as bytes, so that
    Windows' text mode cannot turn LF into CRLF (a generated shell script with CRLF breaks
    in Cloud Shell).
    """
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_atomically(Path(output), text)
    except OSError as exc:
        raise UsageError(f"cannot write --output {output}: {exc.strerror}") from None
    click.echo(f"netcheck: report written to {output}", err=True)


def write_atomically(path: Path, text: str) -> None:
    """Write a temporary file beside `path`, then rename it over `path`.

    A reader never sees half a report: node_exporter's textfile collector reads
    `--format prometheus` files whenever it is scraped, and CI may pick a file up mid-write.
    """
    import os
    import tempfile

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
        # mkstemp makes the file private (0600); a report is as readable as any new file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Progress:
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


def progress() -> Progress | None:
    import sys

    return Progress() if sys.stderr.isatty() else None
