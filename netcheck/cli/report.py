"""`netcheck report merge|diff`: many hosts' reports as one, and two runs compared."""

from __future__ import annotations

import functools
import sys

import click

from netcheck import __version__
from netcheck.cli.base import Exit, emit, format_option
from netcheck.errors import UsageError
from netcheck.formats import DIFF_RENDERERS, MERGE_RENDERERS, DiffFormat, MergeFormat

MERGE_EXIT_HELP = (
    "Exit codes: 0 every host passes or warns; 1 a host fails or sent no report; "
    "2 bad usage or nothing readable; 3 internal error (rerun with --debug)."
)
DIFF_EXIT_HELP = (
    "Exit codes: 0 no regression; 1 at least one regression; 2 bad usage or a report that "
    "cannot be read; 3 internal error (rerun with --debug)."
)

_OUTPUT = click.option(
    "--output", "-o", metavar="FILE", help="Write the report to FILE instead of stdout."
)


@click.group(
    epilog=f"""\b
Examples:
  netcheck report merge reports/ --format html -o fleet.html
  netcheck report diff before.json after.json

\b
merge: {MERGE_EXIT_HELP}
diff: {DIFF_EXIT_HELP}
"""
)
def report() -> None:
    """Merge the JSON reports of many hosts into one, or compare two runs."""


@report.command(
    epilog=f"""\b
Examples:
  # every report Ansible fetched, one HTML page and JUnit for CI
  netcheck report merge reports/ --format html --output fleet.html
  netcheck report merge reports/ --format junit --output fleet.xml
  # name the hosts that must answer: a missing one is 'nodata'
  netcheck report merge reports/*.json --expect inventory-hosts.txt
  # at most 4,096 bytes, worst first (Azure Run Command keeps only the last 4,096)
  ssh hrw-01 netcheck check -r westeurope --format json | netcheck report merge - --format summary

\b
{MERGE_EXIT_HELP}
"""
)
@click.argument("reports", nargs=-1, required=True, metavar="REPORT...")
@format_option(
    MERGE_RENDERERS, MergeFormat.TABLE, "Report format (json is documented in docs/report-json.md)."
)
@click.option(
    "--expect",
    metavar="FILE",
    help="Host names, one per line, that must have sent a report (by host or file name); "
    "one that did not is listed as nodata.",
)
@_OUTPUT
def merge(reports: tuple[str, ...], fmt: str, expect: str | None, output: str | None) -> None:
    """Merge `netcheck check --format json` reports of many hosts: files, folders of *.json
    files, or - for stdin.

    Each host gets a status (pass, warn, fail, or nodata when its report is missing or
    unreadable), and each cause is listed once with every host it was seen on. Of two reports
    from one host the newest counts; the other is noted.
    """
    import datetime as dt

    from netcheck.fleet.merge import merge as merge_fleet
    from netcheck.fleet.merge import read_expected
    from netcheck.fleet.read import host_reports, sources

    paths = sources(reports)
    expected = read_expected(expect) if expect is not None else []
    hosts = list(host_reports(paths, _stdin))
    readable = [h for h in hosts if h.generated_at is not None]  # it parsed as a report
    if not readable and not expected:
        if not hosts:
            raise UsageError(f"no *.json report found in: {', '.join(reports)}")
        first = hosts[0]
        raise UsageError(
            f"nothing readable: none of the {len(hosts)} input(s) is a netcheck report "
            f"({first.source}: {first.reason})"
        )
    fleet = merge_fleet(
        hosts,
        expected,
        generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        tool_version=__version__,
    )
    emit(MERGE_RENDERERS.render(fleet, MergeFormat(fmt)), output)
    sys.exit(Exit.FINDINGS if fleet.failed() else Exit.OK)


@report.command(
    epilog=f"""\b
Examples:
  # one host, before and after a firewall change
  netcheck check -r westeurope --format json -o before.json
  netcheck check -r westeurope --format json -o after.json
  netcheck report diff before.json after.json
  # two merged fleet reports
  netcheck report diff monday-fleet.json tuesday-fleet.json --format markdown

\b
{DIFF_EXIT_HELP}
"""
)
@click.argument("before", metavar="BEFORE")
@click.argument("after", metavar="AFTER")
@format_option(
    DIFF_RENDERERS, DiffFormat.TABLE, "Report format (json is documented in docs/report-json.md)."
)
@_OUTPUT
def diff(before: str, after: str, fmt: str, output: str | None) -> None:
    """Compare two runs: two single-host JSON reports, or two merged ones.

    Lists regressions (a target that passed and now fails, or fails with a new code), what
    was fixed, and what still fails, each with host, target, port and code.
    """
    from netcheck.fleet.diff import diff as compare
    from netcheck.fleet.read import NotAReport, comparable_hosts, parse_json, read_text

    sides = []
    for label, source in (("BEFORE", before), ("AFTER", after)):
        try:
            sides.append(comparable_hosts(parse_json(read_text(source, _stdin)), source))
        except NotAReport as exc:
            raise UsageError(f"{label} {source}: {exc}") from None
    changes = compare(sides[0], sides[1])
    emit(DIFF_RENDERERS.render(changes, DiffFormat(fmt)), output)
    sys.exit(Exit.FINDINGS if changes.regressions else Exit.OK)


@functools.cache
def _stdin() -> str:
    """Standard input, read once however often '-' is named."""
    return sys.stdin.read()
