"""The `netcheck` group and its entry point: the one place that turns exceptions into exits."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys

import click

from netcheck import __version__
from netcheck.cli.base import EXIT_HELP, Exit
from netcheck.errors import UsageError

# Each command's module, named as the command (and its function): it loads only when its
# command runs, or when --help lists them all, so a check does not load the exporter's or
# diagnose's modules before its first packet.
COMMANDS = ("check", "diagnose", "explain", "regions", "endpoints", "rules", "report", "exporter")


class _Commands(click.Group):
    """click's contract for commands loaded on demand: list_commands and get_command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command: click.Command = getattr(
            importlib.import_module(f"netcheck.cli.{cmd_name}"), cmd_name
        )
        return command


@click.group(
    cls=_Commands,
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
    # A command's objects live until the process leaves, and reference counting frees what
    # dies sooner: the cyclic collector would only scan the same objects again and again
    # (about 50 ms of a check of every region, its memory unchanged without it). The exporter,
    # a process that lives for days, turns it back on.
    gc.disable()
    try:
        main()
        code = int(Exit.OK)
    except SystemExit as exc:
        code = int(exc.code or 0)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a closed pipe has nobody left to tell
            stream.flush()
    os._exit(code)
