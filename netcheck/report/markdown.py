"""A report to paste into a ticket: summary, table, and each problem with its fix."""

from __future__ import annotations

from netcheck.models import Report
from netcheck.report.json_format import summary
from netcheck.report.steps import causes, explained_by, summary_line


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(report: Report) -> str:
    s = summary(report)
    opts = report.options
    lines = [
        f"# netcheck report: {s['status'].upper()}",
        "",
        f"- Region: {opts.region} ({opts.cloud} cloud)",
        f"- Deployments: {', '.join(opts.deployments)}",
        f"- Proxy: {opts.proxy or 'none (direct)'}",
        f"- Generated: {report.generated_at} by netcheck {report.tool_version}",
        f"- Targets: {s['targets']} ({', '.join(f'{n} {k}' for k, n in s['counts'].items() if n)})",
        "",
    ]
    root = causes(report)
    for cause in root:
        lines += [
            f"## Cause: {cause.severity.value.upper()} `{cause.code}`",
            "",
            _cell(cause.message),
            "",
            f"**Fix:** {_cell(cause.remediation)}",
            "",
        ]
    lines += ["| Status | Target | Path | Findings |", "|---|---|---|---|"]
    for r in report.results:
        codes = ", ".join(f"`{f.code}`" for f in r.findings) or "-"
        lines.append(
            f"| {r.status.value} | `{r.target.host}:{r.target.port}` | "
            f"{_cell(summary_line(r))} | {codes} |"
        )
    problems = [
        (f"`{r.target.host}:{r.target.port}`", f) for r in report.results for f in r.findings
    ]
    problems += [("the whole run", f) for f in report.findings if f not in root]
    if problems:
        lines += ["", "## Findings", ""]
        for where, f in problems:
            cause_code = explained_by(f)
            fix = f"**Explained by:** `{cause_code}` (above)" if cause_code else None
            lines += [
                f"### {f.severity.value.upper()} `{f.code}` on {where}",
                "",
                _cell(f.message),
                "",
                fix or f"**Fix:** {_cell(f.remediation)}",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"
