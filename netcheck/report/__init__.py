"""Report renderers: one module per format, all pure (report in, text out)."""

from __future__ import annotations

import enum
from collections.abc import Callable

from netcheck.models import Report
from netcheck.report import json_format, junit, markdown, table


class Format(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "markdown"


RENDERERS: dict[Format, Callable[[Report], str]] = {
    Format.TABLE: table.render,
    Format.JSON: json_format.render,
    Format.JUNIT: junit.render,
    Format.MARKDOWN: markdown.render,
}


def render(report: Report, fmt: Format) -> str:
    return RENDERERS[fmt](report)
