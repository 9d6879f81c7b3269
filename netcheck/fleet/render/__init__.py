"""Renderers of a merged fleet and of a diff: one module per format, all pure.

Imported on first use, like netcheck.report's renderers, to keep start-up fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from netcheck.fleet import DiffFormat, MergeFormat

if TYPE_CHECKING:
    from netcheck.fleet.model import Diff, Fleet


def merge_renderers() -> dict[MergeFormat, Callable[[Fleet], str]]:
    """Every merge format's renderer."""
    from netcheck.fleet.render import html, json_format, junit, markdown, summary, table

    return {
        MergeFormat.TABLE: table.render_fleet,
        MergeFormat.JSON: json_format.render_fleet,
        MergeFormat.MARKDOWN: markdown.render_fleet,
        MergeFormat.JUNIT: junit.render_fleet,
        MergeFormat.HTML: html.render_fleet,
        MergeFormat.SUMMARY: summary.render_fleet,
    }


def diff_renderers() -> dict[DiffFormat, Callable[[Diff], str]]:
    """Every diff format's renderer."""
    from netcheck.fleet.render import json_format, markdown, table

    return {
        DiffFormat.TABLE: table.render_diff,
        DiffFormat.JSON: json_format.render_diff,
        DiffFormat.MARKDOWN: markdown.render_diff,
    }
