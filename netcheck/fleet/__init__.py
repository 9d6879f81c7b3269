"""Many hosts' reports as one: read them, merge them, compare two runs (all pure), and render
the result (`fleet/render/`, one module per format).

Only the format enums live here, so the command line gets its choices without importing the rest.
"""

from __future__ import annotations

import enum


class MergeFormat(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"
    HTML = "html"
    SUMMARY = "summary"


class DiffFormat(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
