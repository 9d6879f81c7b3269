"""`netcheck explain`: what a finding code means, why it matters and how to fix it."""

from __future__ import annotations

import click

from netcheck.cli.base import OUTPUT_EXIT_HELP
from netcheck.errors import UsageError


@click.command(
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
