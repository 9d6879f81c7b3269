"""Two runs compared, host by host and target by target: what broke, what was fixed, what
still fails ("what did the firewall change do")."""

from __future__ import annotations

from collections.abc import Sequence

from netcheck.fleet.model import Change, Diff, HostReport, NotCompared
from netcheck.models import HostStatus, Severity, Status

Key = tuple[str | None, int | None]  # (target, port); (None, None): the run as a whole


def diff(before: Sequence[HostReport], after: Sequence[HostReport]) -> Diff:
    """Compare the hosts of two runs by name. When each side holds one host they are compared
    whatever their names, so two reports saved on one machine compare even without `origin`."""
    pairs: dict[str, tuple[HostReport | None, HostReport | None]]
    if len(before) == 1 and len(after) == 1:
        pairs = {after[0].name: (before[0], after[0])}
    else:
        old = {h.name: h for h in before}
        new = {h.name: h for h in after}
        pairs = {name: (old.get(name), new.get(name)) for name in sorted(old.keys() | new.keys())}
    regressions: list[Change] = []
    fixed: list[Change] = []
    still: list[Change] = []
    skipped: list[NotCompared] = []
    for name, (was, now) in pairs.items():
        if was is None or now is None or HostStatus.NODATA in (was.status, now.status):
            skipped.append(NotCompared(name, _why_not(was, "BEFORE") or _why_not(now, "AFTER")))
            continue
        then_failing = _failing(was)
        now_failing = _failing(now)
        now_probed = {(t.target, t.port) for t in now.targets if t.status is not Status.SKIP}
        for key in sorted(then_failing.keys() | now_failing.keys(), key=_order):
            old_codes = then_failing.get(key, set())
            new_codes = now_failing.get(key, set())
            target, port = key
            regressions += [Change(name, target, port, c) for c in sorted(new_codes - old_codes)]
            still += [Change(name, target, port, c) for c in sorted(new_codes & old_codes)]
            gone = sorted(old_codes - new_codes)
            if gone and key not in now_probed and key[0] is not None:
                skipped.append(NotCompared(name, f"{target}:{port} was not probed in AFTER"))
            else:
                fixed += [Change(name, target, port, c) for c in gone]
    return Diff(tuple(regressions), tuple(fixed), tuple(still), tuple(skipped))


def _why_not(host: HostReport | None, side: str) -> str:
    if host is None:
        return f"no report in {side}"
    if host.status is HostStatus.NODATA:
        return f"no data in {side}: {host.reason}"
    return ""


def _failing(host: HostReport) -> dict[Key, set[str]]:
    """The failing codes per target, and for the run as a whole."""
    failing: dict[Key, set[str]] = {}
    for found in host.findings:
        if found.severity is Severity.FAIL:
            failing.setdefault((found.target, found.port), set()).add(found.code)
    return failing


def _order(key: Key) -> tuple[str, int]:
    return (key[0] or "", key[1] or 0)
