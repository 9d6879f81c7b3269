"""The merged report and the diff for a terminal: one line per host or change, then causes."""

from __future__ import annotations

import textwrap
from collections import Counter

from tabulate import tabulate

from netcheck.fleet.merge import cause_line
from netcheck.fleet.model import Change, Diff, Fleet, HostReport
from netcheck.models import Severity

_WIDTH = 100
_HOST_WIDTH = 28
_RESULT_WIDTH = _WIDTH - 8 - _HOST_WIDTH - 2 * 2


def host_result(host: HostReport) -> str:
    """Why a host has its status: its failing codes (with counts), else its reason."""
    if host.reason:
        return host.reason
    codes = host.failing_codes() or Counter(
        f.code for f in host.findings if f.severity is not Severity.INFO
    )
    return ", ".join(f"{c} x{n}" if n > 1 else c for c, n in sorted(codes.items())) or "-"


def render_fleet(fleet: Fleet) -> str:
    rows = [
        [h.status.value.upper(), _clip(h.name, _HOST_WIDTH), _clip(host_result(h), _RESULT_WIDTH)]
        for h in fleet.hosts
    ]
    lines = [tabulate(rows, headers=["STATUS", "HOST", "RESULT"], tablefmt="simple")]
    if fleet.causes:
        lines += ["", "Causes, worst first:"]
        for cause in fleet.causes:
            lines.append(
                f"  [{cause.severity.value.upper()}] {cause_line(cause, len(fleet.hosts))}"
            )
            lines += _wrapped("hosts: " + ", ".join(cause.hosts))
            if cause.targets:
                lines += _wrapped("targets: " + ", ".join(cause.targets))
    notes = [
        f"{h.name}: {s.source} ({s.generated_at or 'no date'}) is older; "
        f"{h.source} ({h.generated_at}) counts"
        for h in fleet.hosts
        for s in h.superseded
    ]
    if notes:
        lines += ["", "Duplicate reports (the newest counts):"]
        for note in notes:
            lines += _wrapped(note)
    counts = ", ".join(f"{n} {k}" for k, n in fleet.counts().items() if n)
    lines += ["", f"{fleet.status.value.upper()}: {len(fleet.hosts)} hosts ({counts})"]
    return "\n".join(lines) + "\n"


def render_diff(diff: Diff) -> str:
    lines: list[str] = []
    for title, changes in (
        ("Regressions", diff.regressions),
        ("Fixed", diff.fixed),
        ("Still failing", diff.still_failing),
    ):
        lines += [f"{title}: {len(changes)}"]
        if changes:
            lines += [_table(changes), ""]
    if diff.not_compared:
        lines.append(f"Not compared: {len(diff.not_compared)}")
        for item in diff.not_compared:
            lines += _wrapped(f"{item.host}: {item.reason}")
    verdict = "REGRESSED" if diff.regressions else "NO REGRESSION"
    lines += ["", f"{verdict}: {len(diff.regressions)} new, {len(diff.fixed)} fixed, "
              f"{len(diff.still_failing)} still failing"]  # fmt: skip
    return "\n".join(lines) + "\n"


def _table(changes: tuple[Change, ...]) -> str:
    rows = [[c.host, change_target(c), c.code] for c in changes]
    return tabulate(rows, headers=["HOST", "TARGET", "CODE"], tablefmt="simple")


def change_target(change: Change) -> str:
    return "(the whole run)" if change.target is None else f"{change.target}:{change.port}"


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(
        text, _WIDTH, initial_indent="    ", subsequent_indent="      ", break_on_hyphens=False
    )


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
