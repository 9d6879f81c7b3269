"""The `netcheck` group and its entry point: the one place that turns exceptions into exits."""

from __future__ import annotations

import contextlib
import os
import sys

import click

from netcheck import __version__
from netcheck.cli.base import EXIT_HELP, Exit
from netcheck.cli.check import check
from netcheck.cli.diagnose import diagnose
from netcheck.cli.endpoints import endpoints
from netcheck.cli.explain import explain
from netcheck.cli.exporter import exporter
from netcheck.cli.regions import regions
from netcheck.cli.report import report
from netcheck.cli.rules import rules
from netcheck.errors import UsageError


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
      netcheck report merge reports/ --format html --output fleet.html
      netcheck exporter --config /etc/netcheck/exporter.yml
    """
    ctx.obj = {"debug": debug}


for command in (check, diagnose, explain, regions, endpoints, rules, report, exporter):
    cli.add_command(command)


def tolerant_streams() -> None:
    """Never fail on a character the output's code page lacks: a report quoting a log line
    piped through `| Out-File` or a pipeline agent on a cp1252 or cp850 console would
    otherwise end in an internal error. Unencodable characters become "?"."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")


def main() -> None:
    """Run the CLI; usage errors become one line and exit 2, bugs exit 3."""
    tolerant_streams()
    debug = "--debug" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False)
    except UsageError as exc:
        click.echo(f"netcheck: error: {exc}", err=True)
        sys.exit(Exit.USAGE)
    except click.exceptions.Abort:
        click.echo("netcheck: interrupted", err=True)
        sys.exit(Exit.INTERRUPTED)
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
        code = int(Exit.OK)
    except SystemExit as exc:
        code = int(exc.code or 0)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe has nobody left to tell
            stream.flush()
    os._exit(code)
