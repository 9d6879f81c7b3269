"""Report renderers: one module per format, all pure (report in, text out)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from netcheck.report.registry import Renderers

if TYPE_CHECKING:
    from netcheck.models import Report


class Format(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"
    PROMETHEUS = "prometheus"


RENDERERS: Renderers[Format, Report] = Renderers(
    {
        Format.TABLE: "netcheck.report.table:render",
        Format.JSON: "netcheck.report.json_format:render",
        Format.JUNIT: "netcheck.report.junit:render",
        Format.MARKDOWN: "netcheck.report.markdown:render",
        Format.HTML: "netcheck.report.html:render",
        Format.PROMETHEUS: "netcheck.report.prometheus:render",
    }
)
