"""`netcheck endpoints`: the targets a check would probe, with purpose and source."""

from __future__ import annotations

import click

from netcheck.cli.base import (
    LISTING_FORMAT_OPTION,
    OUTPUT_EXIT_HELP,
    SelectionArgs,
    select,
    selection_options,
)
from netcheck.formats import ListingFormat


@click.command(
    epilog="\b\nExamples:\n  netcheck endpoints --region westeurope --workspace-id <GUID> "
    "--update-management\n  netcheck endpoints -r usgovvirginia --format csv\n\n" + OUTPUT_EXIT_HELP
)
@selection_options
@LISTING_FORMAT_OPTION
def endpoints(selection: SelectionArgs, fmt: str) -> None:
    """List the targets a check would probe, with purpose and source."""
    from netcheck.expand import expand
    from netcheck.report.listing import endpoint_rows, render

    loaded, chosen = select(selection)
    listing = ListingFormat(fmt)
    click.echo(render(endpoint_rows(expand(loaded, chosen), listing), listing), nl=False)
