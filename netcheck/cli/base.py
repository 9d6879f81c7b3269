"""What the commands share: exit statuses, option groups, the selection and where output goes."""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from netcheck.errors import UsageError
from netcheck.report.listing import ListingFormat

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


def choices(enum_type: type[enum.Enum]) -> click.Choice[str]:
    """A --format choice list taken from a renderer registry's format enum."""
    return click.Choice([member.value for member in enum_type])


CATALOGUE_OPTION = option(
    "--catalogue",
    env="CATALOGUE",
    metavar="FILE",
    help="Use this endpoint catalogue instead of the shipped one (see docs/catalogue.md).",
)

LISTING_FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=choices(ListingFormat),
    default=ListingFormat.TABLE.value,
    show_default=True,
    help="Listing format.",
)


def selection_options(func: F) -> F:
    """Options that choose the targets; shared by every command that expands the catalogue."""
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
    return stack(func, decorators)


def probe_options(formats: type[enum.Enum]) -> Callable[[F], F]:
    """The probe and output options of a command that probes (check, diagnose), with the
    report formats of its renderer registry."""

    def apply(func: F) -> F:
        decorators = [
            option(
                "--ca-bundle",
                env="CA_BUNDLE",
                metavar="PEM",
                help="Trust these roots instead of the built-in certifi bundle.",
            ),
            option(
                "--dns-server",
                env="DNS_SERVER",
                metavar="IP",
                help="Ask this DNS server instead of the system's resolvers.",
            ),
            option(
                "--timeout",
                type=click.FloatRange(min=0.1, max=300),
                default=5.0,
                show_default=True,
                env="TIMEOUT",
                metavar="SECONDS",
                help="Time allowed for each network step (DNS, connect, TLS, HTTP).",
            ),
            option(
                "--concurrency",
                type=click.IntRange(min=1, max=1024),
                default=256,
                show_default=True,
                env="CONCURRENCY",
                help="Targets probed at the same time; more wait their turn.",
            ),
            option(
                "--format",
                "fmt",
                type=choices(formats),
                default="table",
                show_default=True,
                env="FORMAT",
                help="Report format (json is documented in docs/report-json.md).",
            ),
            option(
                "--output",
                "-o",
                env="OUTPUT",
                metavar="FILE",
                help="Write the report to FILE instead of stdout.",
            ),
        ]
        return stack(func, decorators)

    return apply


def select(
    region: str | None,
    workspace_id: str | None,
    automation_account_id: str | None,
    update_management: bool,
    catalogue: str | None,
    include_revocation: bool = False,
    all_regions: bool = False,
) -> tuple[Catalogue, Selection]:
    """The catalogue and the selection the options name; bad input is a UsageError."""
    from netcheck.catalogue import load_catalogue
    from netcheck.expand import selection_for

    if all_regions and region is not None:
        raise UsageError("give --region or --all-regions, not both")
    if not all_regions and region is None:
        raise UsageError(
            "missing --region (e.g. --region westeurope; 'netcheck regions' lists them)"
        )
    loaded = load_catalogue(catalogue)
    if region is None and not loaded.regions:
        raise UsageError(f"--all-regions: the catalogue {loaded.path} has no regions")
    selection = selection_for(
        loaded, region, workspace_id, automation_account_id, update_management, include_revocation
    )
    return loaded, selection


def emit(text: str, output: str | None) -> None:
    """The report goes to stdout, or to --output with a note on stderr."""
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
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
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
