"""Diagnose report renderers: one module per format, all pure (diagnosis in, text out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netcheck.report import Format
from netcheck.report.registry import Renderers

if TYPE_CHECKING:
    from netcheck.diagnose.diagnosis import Diagnosis

RENDERERS: Renderers[Format, Diagnosis] = Renderers(
    {
        Format.TABLE: "netcheck.diagnose.render.table:render",
        Format.JSON: "netcheck.diagnose.render.json_format:render",
        Format.JUNIT: "netcheck.diagnose.render.junit:render",
        Format.MARKDOWN: "netcheck.diagnose.render.markdown:render",
    }
)

# The file name of each format inside a support bundle.
BUNDLE_NAMES: dict[Format, str] = {
    Format.TABLE: "report.txt",
    Format.JSON: "report.json",
    Format.JUNIT: "report.junit.xml",
    Format.MARKDOWN: "report.md",
}
