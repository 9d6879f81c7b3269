"""The fleet's data: each host's report reduced to what a merge and a diff compare (frozen)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from netcheck.models import HostStatus, Severity, Status

FLEET_SCHEMA = "netcheck.fleet/1"
DIFF_SCHEMA = "netcheck.diff/1"


# Worst first: the order of every listing, and why a summary cut short keeps what matters.
HOST_ORDER = tuple(HostStatus)
SEVERITY_ORDER = (Severity.FAIL, Severity.WARN, Severity.INFO)


@dataclass(frozen=True)
class HostFinding:
    target: str | None  # the target's host name; None for a finding about the whole run
    port: int | None
    code: str
    severity: Severity
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetState:
    target: str  # a canary's random name reads "(canary).<domain>", the same on every host
    port: int
    status: Status
    findings: tuple[HostFinding, ...] = ()


@dataclass(frozen=True)
class Superseded:
    """An older report from the same host, read but not counted."""

    source: str
    generated_at: str | None


@dataclass(frozen=True)
class HostReport:
    name: str
    status: HostStatus
    source: str | None  # the file read ("-" for stdin); None when nothing arrived at all
    reason: str | None = None  # why there is no data
    generated_at: str | None = None
    origin: dict[str, Any] | None = None
    targets: tuple[TargetState, ...] = ()
    run_findings: tuple[HostFinding, ...] = ()  # about the run as a whole
    superseded: tuple[Superseded, ...] = ()

    @property
    def findings(self) -> tuple[HostFinding, ...]:
        """Every finding: the targets' in order, then the run's."""
        return tuple(f for t in self.targets for f in t.findings) + self.run_findings

    def failing_codes(self) -> Counter[str]:
        return Counter(f.code for f in self.findings if f.severity is Severity.FAIL)


@dataclass(frozen=True)
class Cause:
    """One cause seen on several hosts: the same code (and product, where one is named)."""

    code: str
    severity: Severity
    detail: str | None  # e.g. the interception product: "TLS_INTERCEPTED by Zscaler"
    hosts: tuple[str, ...]
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Fleet:
    generated_at: str
    tool_version: str
    hosts: tuple[HostReport, ...]  # worst first, then by name
    causes: tuple[Cause, ...]  # worst first, then by how many hosts

    def counts(self) -> dict[str, int]:
        seen = Counter(h.status for h in self.hosts)
        return {s.value: seen.get(s, 0) for s in HOST_ORDER}

    @property
    def status(self) -> HostStatus:
        statuses = {h.status for h in self.hosts}
        return next((s for s in HOST_ORDER if s in statuses), HostStatus.PASS)

    def failed(self) -> bool:
        """Any host that fails or sent nothing: what makes `report merge` exit 1."""
        return any(h.status in (HostStatus.FAIL, HostStatus.NODATA) for h in self.hosts)


@dataclass(frozen=True)
class Change:
    host: str
    target: str | None
    port: int | None
    code: str


@dataclass(frozen=True)
class NotCompared:
    host: str
    reason: str


@dataclass(frozen=True)
class Diff:
    regressions: tuple[Change, ...]  # passed and fails now, or fails with a new code
    fixed: tuple[Change, ...]  # a failing code that is gone
    still_failing: tuple[Change, ...]
    not_compared: tuple[NotCompared, ...]  # a host or target present on one side only
