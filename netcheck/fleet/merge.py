"""Many hosts' reports → one fleet: duplicates resolved, missing hosts named, causes grouped."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from netcheck.errors import UsageError
from netcheck.fleet.model import (
    HOST_ORDER,
    SEVERITY_ORDER,
    Cause,
    Fleet,
    HostReport,
    Superseded,
)
from netcheck.fleet.read import default_name, nodata
from netcheck.models import HostStatus, Severity

NOT_RECEIVED = "no report received from this expected host"
# Evidence that names what is in the way, so "TLS_INTERCEPTED by Zscaler" and "... by
# FortiGate" are two causes with two fixes, not one.
_DETAIL_KEYS = ("interceptor",)


def merge(
    reports: Iterable[HostReport],
    expected: Sequence[str] = (),
    *,
    generated_at: str,
    tool_version: str,
) -> Fleet:
    """The fleet of these reports: one entry per host name (the newest report counts), plus a
    nodata entry for every expected name that no report answers (by host or file name)."""
    by_name: dict[str, list[HostReport]] = {}
    for report in reports:
        by_name.setdefault(report.name, []).append(report)
    hosts = [_newest(candidates) for candidates in by_name.values()]
    answered = {h.name for h in hosts} | {
        default_name(s)
        for candidates in by_name.values()
        for s in (c.source for c in candidates)
        if s is not None
    }
    hosts += [nodata(name, None, NOT_RECEIVED) for name in dict.fromkeys(expected)]
    hosts = [h for h in hosts if h.source is not None or h.name not in answered]
    hosts.sort(key=lambda h: (HOST_ORDER.index(h.status), h.name))
    return Fleet(
        generated_at=generated_at,
        tool_version=tool_version,
        hosts=tuple(hosts),
        causes=causes(hosts),
    )


def _newest(candidates: list[HostReport]) -> HostReport:
    """A readable report beats an unreadable one, then the newest by generated_at (the one
    read last on a tie); the others are noted on it."""
    ranked = sorted(
        enumerate(candidates),
        key=lambda pair: (pair[1].status is not HostStatus.NODATA, _when(pair[1]), pair[0]),
    )
    chosen = ranked[-1][1]
    others = [c for _, c in ranked[:-1]]
    if not others:
        return chosen
    return dataclasses.replace(
        chosen,
        superseded=tuple(Superseded(c.source or "", c.generated_at) for c in reversed(others)),
    )


def _when(report: HostReport) -> dt.datetime:
    """generated_at as an aware time; anything unreadable counts as oldest."""
    oldest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    if report.generated_at is None:
        return oldest
    try:
        parsed = dt.datetime.fromisoformat(report.generated_at.replace("Z", "+00:00"))
    except ValueError:
        return oldest
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def causes(hosts: Iterable[HostReport]) -> tuple[Cause, ...]:
    """Each failing or warning cause once, with every host and target it was seen on."""
    grouped: dict[tuple[str, Severity, str | None], tuple[dict[str, None], dict[str, None]]] = {}
    for host in hosts:
        for found in host.findings:
            if found.severity is Severity.INFO:
                continue
            detail = next(
                (str(found.evidence[k]) for k in _DETAIL_KEYS if found.evidence.get(k)), None
            )
            names, targets = grouped.setdefault((found.code, found.severity, detail), ({}, {}))
            names[host.name] = None
            if found.target is not None:
                targets[found.target] = None
    found_causes = [
        Cause(code, severity, detail, tuple(names), tuple(sorted(targets)))
        for (code, severity, detail), (names, targets) in grouped.items()
    ]
    found_causes.sort(
        key=lambda c: (SEVERITY_ORDER.index(c.severity), -len(c.hosts), c.code, c.detail or "")
    )
    return tuple(found_causes)


def cause_line(cause: Cause, host_count: int) -> str:
    """e.g. 'TLS_INTERCEPTED by Zscaler on 3 of 12 hosts'."""
    return cause.code + cause_scope(cause, host_count)


def cause_scope(cause: Cause, host_count: int) -> str:
    """e.g. ' by Zscaler on 3 of 12 hosts'."""
    by = f" by {cause.detail}" if cause.detail else ""
    return f"{by} on {len(cause.hosts)} of {host_count} hosts"


def read_expected(path: str) -> list[str]:
    """The --expect file: one host name per line; blank lines and # comments are ignored."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read --expect {path}: {why}") from None
    names = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return [name for name in names if name]
