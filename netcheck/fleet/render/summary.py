"""The merged report in at most 4,096 bytes, worst first, for Azure Run Command (it keeps only
the last 4,096 bytes of a script's output) and other small windows: a chat message, a ticket
title, a CI annotation."""

from __future__ import annotations

from netcheck.fleet.merge import cause_line
from netcheck.fleet.model import Fleet
from netcheck.fleet.render.table import host_result
from netcheck.models import HostStatus

LIMIT = 4096  # bytes, newlines included
_LINE = 200  # bytes per line at most, so one long host name cannot crowd out the rest
_RESERVE = _LINE + 1  # room always kept for the line that says what was left out


def render_fleet(fleet: Fleet) -> str:
    total = len(fleet.hosts)
    counts = ", ".join(f"{n} {k}" for k, n in fleet.counts().items() if n)
    header = _clip(f"netcheck fleet {fleet.status.value.upper()}: {total} hosts ({counts})")
    wanted = [
        _clip(f"[{c.severity.value.upper()}] {cause_line(c, total)}: {', '.join(c.hosts)}")
        for c in fleet.causes
    ]
    listed = [h for h in fleet.hosts if h.status is not HostStatus.PASS]
    # Each kind of trouble by name first, so that hosts that sent nothing still show when
    # failing hosts alone would fill the window; then each host with its reason.
    for status in (HostStatus.FAIL, HostStatus.NODATA, HostStatus.WARN):
        names = [h.name for h in listed if h.status is status]
        if names:
            wanted.append(_clip(f"{status.value.upper()}: {len(names)} hosts: {', '.join(names)}"))
    wanted += [_clip(f"{h.status.value.upper()} {h.name}: {host_result(h)}") for h in listed]
    lines = [header]
    used = _size(header)
    shown = 0
    for line in wanted:
        if used + _size(line) + _RESERVE > LIMIT:
            break
        lines.append(line)
        used += _size(line)
        shown += 1
    left = len(wanted) - shown
    if left:
        lines.append(
            f"... {left} more lines not shown (netcheck report merge --format table lists "
            "every host)"
        )
    return "\n".join(lines) + "\n"


def _size(line: str) -> int:
    return len(line.encode("utf-8")) + 1


def _clip(line: str) -> str:
    """At most _LINE bytes of UTF-8, cut on a character boundary."""
    data = line.replace("\n", " ").encode("utf-8")
    if len(data) <= _LINE:
        return line.replace("\n", " ")
    return data[: _LINE - 3].decode("utf-8", errors="ignore") + "..."
