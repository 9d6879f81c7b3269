"""The merged report and the diff for a ticket or a pull request."""

from __future__ import annotations

from netcheck.fleet.merge import cause_line
from netcheck.fleet.model import Change, Diff, Fleet
from netcheck.fleet.render.table import change_target, host_result


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_fleet(fleet: Fleet) -> str:
    counts = ", ".join(f"{n} {k}" for k, n in fleet.counts().items() if n)
    lines = [
        f"# netcheck fleet report: {fleet.status.value.upper()}",
        "",
        f"- Hosts: {len(fleet.hosts)} ({counts})",
        f"- Generated: {fleet.generated_at} by netcheck {fleet.tool_version}",
    ]
    if fleet.causes:
        lines += ["", "## Causes", ""]
        for cause in fleet.causes:
            targets = ", ".join(f"`{_cell(t)}`" for t in cause.targets)
            lines.append(
                f"- **{cause.severity.value.upper()}** {_cell(cause_line(cause, len(fleet.hosts)))}"
                f": {_cell(', '.join(cause.hosts))}" + (f" (targets: {targets})" if targets else "")
            )
    lines += ["", "## Hosts", "", "| Status | Host | Result | Report |", "|---|---|---|---|"]
    for host in fleet.hosts:
        lines.append(
            f"| {host.status.value} | `{_cell(host.name)}` | {_cell(host_result(host))} | "
            f"{_cell(host.source or '-')} |"
        )
    duplicates = [(h, s) for h in fleet.hosts for s in h.superseded]
    if duplicates:
        lines += ["", "## Duplicate reports (the newest counts)", ""]
        lines += [
            f"- `{_cell(h.name)}`: {_cell(s.source)} ({s.generated_at or 'no date'}) is older "
            f"than {_cell(h.source or '-')}"
            for h, s in duplicates
        ]
    return "\n".join(lines) + "\n"


def render_diff(diff: Diff) -> str:
    verdict = "regressions" if diff.regressions else "no regression"
    lines = [f"# netcheck diff: {verdict}"]
    for title, changes in (
        ("Regressions", diff.regressions),
        ("Fixed", diff.fixed),
        ("Still failing", diff.still_failing),
    ):
        lines += ["", f"## {title} ({len(changes)})", ""]
        lines += _table(changes) if changes else ["None."]
    if diff.not_compared:
        lines += ["", f"## Not compared ({len(diff.not_compared)})", ""]
        lines += [f"- `{_cell(n.host)}`: {_cell(n.reason)}" for n in diff.not_compared]
    return "\n".join(lines) + "\n"


def _table(changes: tuple[Change, ...]) -> list[str]:
    rows = [f"| `{_cell(c.host)}` | `{_cell(change_target(c))}` | `{c.code}` |" for c in changes]
    return ["| Host | Target | Code |", "|---|---|---|", *rows]
