"""The diagnose report as Markdown, with check's report one heading level down."""

from __future__ import annotations

from netcheck.diagnose.diagnosis import Diagnosis
from netcheck.diagnose.render.table import discovery_text, host_rows
from netcheck.report import markdown


def render(diagnosis: Diagnosis) -> str:
    lines = [f"# netcheck diagnosis: {diagnosis.status.value.upper()}", "", "## Diagnosis", ""]
    if not diagnosis.causes:
        lines.append("No problem found.")
    for n, cause in enumerate(diagnosis.causes, start=1):
        lines += [f"{n}. **{cause.severity.value.upper()} `{cause.code}`** {cause.summary}"]
        lines += [f"   - {_md(item)}" for item in cause.evidence]
        lines += [f"   - **Fix:** {_md(cause.fix)}"]
        lines += [f"   - See: {doc}" for doc in cause.docs]
    lines += ["", "## Host", "", "| Fact | Value |", "|---|---|"]
    lines += [f"| {name} | {_md(value)} |" for name, value in host_rows(diagnosis.host)]
    lines += ["", "## Worker", "", "```", *discovery_text(diagnosis), "```", ""]
    endpoints = markdown.render(diagnosis.report)
    # The check report goes one heading level down, under this document's title.
    lines += [("#" + line if line.startswith("#") else line) for line in endpoints.splitlines()]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
