"""Diagnose report renderers: one module per format, all pure (diagnosis in, text out)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netcheck.diagnose.diagnosis import Diagnosis


class DiagnoseFormat(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "markdown"


# The file name of each format inside a support bundle.
BUNDLE_NAMES: dict[DiagnoseFormat, str] = {
    DiagnoseFormat.TABLE: "report.txt",
    DiagnoseFormat.JSON: "report.json",
    DiagnoseFormat.JUNIT: "report.junit.xml",
    DiagnoseFormat.MARKDOWN: "report.md",
}


def renderers() -> dict[DiagnoseFormat, Callable[[Diagnosis], str]]:
    """Every format's renderer."""
    from netcheck.diagnose.render import json_format, junit, markdown, table

    return {
        DiagnoseFormat.TABLE: table.render,
        DiagnoseFormat.JSON: json_format.render,
        DiagnoseFormat.JUNIT: junit.render,
        DiagnoseFormat.MARKDOWN: markdown.render,
    }


def render(diagnosis: Diagnosis, fmt: DiagnoseFormat) -> str:
    return renderers()[fmt](diagnosis)
