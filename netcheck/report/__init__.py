"""Report renderers: one module per format, all pure (report in, text out).

The renderers are imported on first use: the command line needs the format names at start-up,
and importing every renderer (tabulate, the models) would slow every netcheck command.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netcheck.models import Report


class Format(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    PROMETHEUS = "prometheus"


def renderers() -> dict[Format, Callable[[Report], str]]:
    """Every format's renderer."""
    from netcheck.report import json_format, junit, markdown, prometheus, table

    return {
        Format.TABLE: table.render,
        Format.JSON: json_format.render,
        Format.JUNIT: junit.render,
        Format.MARKDOWN: markdown.render,
        Format.PROMETHEUS: prometheus.render,
    }


def render(report: Report, fmt: Format) -> str:
    return renderers()[fmt](report)
