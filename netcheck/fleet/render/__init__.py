"""Renderers of a merged fleet and of a diff: one module per format, all pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netcheck.fleet import DiffFormat, MergeFormat
from netcheck.report.registry import Renderers

if TYPE_CHECKING:
    from netcheck.fleet.model import Diff, Fleet

MERGE_RENDERERS: Renderers[MergeFormat, Fleet] = Renderers(
    {
        MergeFormat.TABLE: "netcheck.fleet.render.table:render_fleet",
        MergeFormat.JSON: "netcheck.fleet.render.json_format:render_fleet",
        MergeFormat.MARKDOWN: "netcheck.fleet.render.markdown:render_fleet",
        MergeFormat.JUNIT: "netcheck.fleet.render.junit:render_fleet",
        MergeFormat.HTML: "netcheck.fleet.render.html:render_fleet",
        MergeFormat.SUMMARY: "netcheck.fleet.render.summary:render_fleet",
    }
)

DIFF_RENDERERS: Renderers[DiffFormat, Diff] = Renderers(
    {
        DiffFormat.TABLE: "netcheck.fleet.render.table:render_diff",
        DiffFormat.JSON: "netcheck.fleet.render.json_format:render_diff",
        DiffFormat.MARKDOWN: "netcheck.fleet.render.markdown:render_diff",
    }
)
