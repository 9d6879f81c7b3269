"""The default report for a person at a terminal: a status table, then each problem explained."""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from netcheck.models import Report, Severity
from netcheck.report.json_format import summary
from netcheck.report.steps import causes, explained_by, summary_line

_WIDTH = 100
_RESULT_WIDTH = 22  # holds every per-target code of check (REVOCATION_UNREACHABLE is 22)
# tabulate pads the STATUS column to 8 and puts two spaces between columns.
_TARGET_WIDTH = _WIDTH - 8 - _RESULT_WIDTH - 2 * 2


def render(report: Report) -> str:
    rows = []
    for result in report.results:
        target = result.target
        name = target.host if target.port == 443 else f"{target.host}:{target.port}"
        codes = ", ".join(dict.fromkeys(f.code for f in result.findings))
        # A passing target shows how it got through; any other shows what stopped it.
        rows.append(
            [
                result.status.value.upper(),
                _clip(name, _TARGET_WIDTH),
                _clip(codes or summary_line(result), _RESULT_WIDTH),
            ]
        )
    root = causes(report)
    lines = []
    for cause in root:
        # The cause comes first: everything below it is its consequence.
        lines.append(f"CAUSE [{cause.severity.value.upper()}] {cause.code}")
        lines.extend(_wrapped(cause.message, "  ", "  "))
        lines.extend(_wrapped("fix: " + cause.remediation, "  ", "       "))
        lines.append("")
    lines.append(tabulate(rows, headers=["STATUS", "TARGET", "RESULT"], tablefmt="simple"))
    problems = [(f"{r.target.host}:{r.target.port}", f) for r in report.results for f in r.findings]
    problems += [("whole run", f) for f in report.findings if f not in root]
    if problems:
        lines.append("")
        shown: set[str] = {c.remediation for c in root}
        for where, found in problems:
            lines.append(f"[{found.severity.value.upper()}] {found.code}  {where}")
            lines.extend(
                textwrap.wrap(
                    found.message,
                    _WIDTH,
                    initial_indent="  ",
                    subsequent_indent="  ",
                    break_on_hyphens=False,
                )
            )
            cause_code = explained_by(found)
            if cause_code is not None:
                lines.append(f"  explained by {cause_code} (above)")
            elif found.severity is not Severity.INFO:
                # One long exemption list per report is enough; repeats point back to it.
                fix = "as above" if found.remediation in shown else found.remediation
                shown.add(found.remediation)
                lines.extend(
                    textwrap.wrap(
                        "fix: " + fix,
                        _WIDTH,
                        initial_indent="  ",
                        subsequent_indent="       ",
                        break_on_hyphens=False,
                    )
                )
    skipped = [r for r in report.results if r.target.skip_reason]
    if skipped:
        lines.append("")
        for r in skipped:
            lines.extend(
                textwrap.wrap(
                    f"[SKIP] {r.target.host}: {r.target.skip_reason}",
                    _WIDTH,
                    subsequent_indent="       ",
                    break_on_hyphens=False,
                )
            )
    s = summary(report)
    counts = ", ".join(f"{n} {k}" for k, n in s["counts"].items() if n)
    lines.append("")
    lines.extend(
        textwrap.wrap(
            f"{s['status'].upper()}: {s['targets']} targets ({counts}) in "
            f"{s['duration_ms'] / 1000:.1f} s"
            + (f" via proxy {report.options.proxy}" if report.options.proxy else "")
            + (f"; cause: {', '.join(c.code for c in root)}" if root else ""),
            _WIDTH,
            subsequent_indent="  ",
            break_on_hyphens=False,
        )
    )
    return "\n".join(lines) + "\n"


def _wrapped(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text, _WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
