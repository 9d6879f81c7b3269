"""Diagnose report renderers: one module per format, all pure (diagnosis in, text out)."""

from __future__ import annotations

from netcheck.formats import Format

# The file name of each format inside a support bundle.
BUNDLE_NAMES: dict[Format, str] = {
    Format.TABLE: "report.txt",
    Format.JSON: "report.json",
    Format.JUNIT: "report.junit.xml",
    Format.MARKDOWN: "report.md",
}
