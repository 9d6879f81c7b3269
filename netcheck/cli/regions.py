"""`netcheck regions`: the regions of the catalogue with their location codes and records."""

from __future__ import annotations

import click

from netcheck.cli.base import CATALOGUE_OPTION, LISTING_FORMAT_OPTION, OUTPUT_EXIT_HELP
from netcheck.formats import ListingFormat


@click.command(
    epilog="\b\nExamples:\n  netcheck regions\n  netcheck regions --format csv > regions.csv\n\n"
    + OUTPUT_EXIT_HELP
)
@CATALOGUE_OPTION
@LISTING_FORMAT_OPTION
def regions(catalogue: str | None, fmt: str) -> None:
    """List the regions of the catalogue with their location codes and records."""
    from netcheck.catalogue import load_catalogue
    from netcheck.report.listing import region_rows, render

    chosen = ListingFormat(fmt)
    click.echo(render(region_rows(load_catalogue(catalogue), chosen), chosen), nl=False)
