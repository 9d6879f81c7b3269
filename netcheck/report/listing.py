"""The `regions` and `endpoints` listings as rows, and the rows as a table, JSON or CSV (pure)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from netcheck.formats import ListingFormat

if TYPE_CHECKING:
    from netcheck.models import Catalogue, Target

Row = dict[str, Any]


def region_rows(catalogue: Catalogue, fmt: ListingFormat) -> list[Row]:
    """One row per region; json and csv carry the provenance columns the table leaves out."""
    detailed = fmt is not ListingFormat.TABLE
    rows = []
    for r in catalogue.regions:
        row: Row = {
            "name": r.name,
            "display_name": r.display_name,
            "code": r.code,
            "cloud": r.cloud,
            "account_domains": list(r.account_domains),
            "legacy_jrds": r.legacy_jrds,
        }
        if detailed:
            row["legacy_agentservice"] = r.legacy_agentservice
            row["original_2018"] = r.original_2018
            row["doubtful"] = r.doubtful
            row["source"] = r.source
        else:
            row["doubtful"] = bool(r.doubtful)
        rows.append(row)
    return rows


def endpoint_rows(targets: Sequence[Target], fmt: ListingFormat) -> list[Row]:
    """One row per target, with whether a check probes it, covers it or skips it and why."""
    table = fmt is ListingFormat.TABLE
    rows = []
    for t in targets:
        # The table stays readable at 100 columns; the full list is in json and csv.
        covered = (
            f"covered by {len(t.covered_by)} probed host(s)"
            if table
            else "covered by " + " ".join(t.covered_by)
        )
        probe = covered if t.covered_by else f"skip: {t.skip_reason}" if t.skip_reason else "probe"
        row: Row = {
            "host": t.host,
            "port": t.port,
            "check": probe,
            "deployments": sorted(d.value for d in t.deployments),
            "purpose": t.purpose,
        }
        if not table:
            row |= {
                "bypass_inspection": t.bypass_inspection,
                "service_tags": list(t.service_tags),
                "endpoints": list(t.endpoint_ids),
                "doubtful": t.doubtful,
                "source": t.source,
            }
        rows.append(row)
    return rows


def render(rows: list[Row], fmt: ListingFormat) -> str:
    if fmt is ListingFormat.JSON:
        return json.dumps(rows, indent=2) + "\n"
    if fmt is ListingFormat.CSV:
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
