"""The ordered diagnosis: host verdicts, agent findings, log matches and probe results merged
into causes, the most likely first, each with its evidence and fix (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netcheck.diagnose.discovery_model import Discovery
from netcheck.diagnose.host import HostFacts
from netcheck.diagnose.logs import LogScan
from netcheck.diagnose.proxy_choice import ProxyChoice
from netcheck.diagnose.scope import Scope
from netcheck.findings import codes
from netcheck.findings.codes import CODES
from netcheck.models import Finding, Report, Severity, Status, overall_status, status_of

# A log signature that says the same as a probe finding becomes evidence for it.
_CORROBORATES: dict[str, tuple[str, ...]] = {
    log.code: tuple(probe.code for probe in probes)
    for log, probes in (
        # A run-level cause first: the log line then backs the cause ranked first.
        (codes.LOG_TLS_INTERCEPTION, (codes.ROOT_INTERCEPTION, codes.TLS_INTERCEPTED)),
        (
            codes.LOG_CERT_VERIFY_FAILED,
            (
                codes.ROOT_INTERCEPTION,
                codes.TLS_INTERCEPTED,
                codes.TLS_UNTRUSTED,
                codes.TLS_EXPIRED,
            ),
        ),
        (
            codes.LOG_PROXY_ERROR,
            (
                codes.ROOT_PROXY,
                codes.PROXY_AUTH_REQUIRED,
                codes.PROXY_UNREACHABLE,
                codes.PROXY_DENIED,
            ),
        ),
    )
}
_PATH_PREFIXES = ("ROOT_", "DNS_", "TCP_", "PROXY_", "TLS_", "HTTP_")
_SEVERITY_ORDER = {Severity.FAIL: 0, Severity.WARN: 1, Severity.INFO: 2}
_EVIDENCE_LINES = 6


@dataclass(frozen=True)
class Cause:
    code: str
    severity: Severity
    title: str
    summary: str
    evidence: tuple[str, ...]
    fix: str
    docs: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Diagnosis:
    """Everything `netcheck diagnose` found: the check-shaped report plus what it read."""

    report: Report
    root: str
    host: HostFacts
    host_findings: tuple[Finding, ...]
    discovery: Discovery
    scope: Scope
    proxy: ProxyChoice
    logs: LogScan
    agent_findings: tuple[Finding, ...]  # discovery, proxy and region verdicts
    log_findings: tuple[Finding, ...]
    causes: tuple[Cause, ...]

    @property
    def status(self) -> Status:
        return overall_status([self.report.status, status_of(tuple(self.every_finding()))])

    def every_finding(self) -> Iterable[Finding]:
        yield from self.host_findings
        yield from self.agent_findings
        yield from self.log_findings


@dataclass(frozen=True)
class _Item:
    finding: Finding
    where: str | None  # "host:port" for a probe finding


def rank(
    report: Report,
    others: Sequence[Finding],
    logs: Sequence[Finding],
    proxy: ProxyChoice,
) -> tuple[Cause, ...]:
    """One cause per code, ordered by severity, then the code's priority, then how many
    endpoints."""
    groups: dict[str, list[_Item]] = {}
    for result in report.results:
        for found in result.findings:
            where = f"{result.target.host}:{result.target.port}"
            groups.setdefault(found.code, []).append(_Item(found, where))
    for found in (*report.findings, *others):
        groups.setdefault(found.code, []).append(_Item(found, None))
    log_items: dict[str, list[_Item]] = {}
    for found in logs:
        agreeing = next((c for c in _CORROBORATES.get(found.code, ()) if c in groups), None)
        log_items.setdefault(agreeing or found.code, []).append(_Item(found, None))
        if agreeing is None:
            groups.setdefault(found.code, [])
    causes = [_cause(code, items, log_items.get(code, []), proxy) for code, items in groups.items()]
    causes.sort(
        key=lambda c: (
            _SEVERITY_ORDER[c.severity],
            CODES[c.code].priority,
            -len(groups[c.code]),
        )
    )
    return tuple(causes)


def _cause(code: str, items: list[_Item], log_items: list[_Item], proxy: ProxyChoice) -> Cause:
    entry = CODES[code]
    every = [i.finding for i in items + log_items]
    severity = min((f.severity for f in every), key=_SEVERITY_ORDER.__getitem__)
    targets = [i.where for i in items if i.where is not None]
    if len(targets) > 1:
        shown = ", ".join(targets[:3]) + (
            f" and {len(targets) - 3} more" if len(targets) > 3 else ""
        )
        summary = f"{entry.title}: {len(targets)} endpoints ({shown})."
        listed = items
    else:
        first = (items or log_items)[0].finding
        summary = first.message.rstrip(".") + "."
        listed = items[1:]  # the first is the summary already
    via = proxy.used if proxy.used is not None and proxy.used.settings is not None else None
    if via is not None and code.startswith(_PATH_PREFIXES):
        summary += (
            f" The traffic went through the proxy {via.shown}, set in {via.location} "
            f"({via.source})."
        )
    if items and log_items:
        summary += " The worker's own log agrees."
    evidence = [f"{i.where}: {i.finding.message}" if i.where else i.finding.message for i in listed]
    if len(evidence) > _EVIDENCE_LINES:
        evidence = [*evidence[:_EVIDENCE_LINES], f"... and {len(evidence) - _EVIDENCE_LINES} more"]
    for item in log_items:
        evidence += [
            f"log {line['file']}{' at ' + line['time'] if line['time'] else ''}: {line['text']}"
            for line in item.finding.evidence.get("lines", [])
        ]
    fixes = {i.finding.remediation for i in items} or {entry.fix}
    fix = fixes.pop() if len(fixes) == 1 else entry.fix
    if via is not None and code in (codes.TLS_INTERCEPTED.code, codes.ROOT_INTERCEPTION.code):
        fix += (
            f" The worker's traffic goes through {via.shown} ({via.location}): if that proxy "
            "inspects TLS, the exemption belongs there."
        )
    return Cause(code, severity, entry.title, summary, tuple(evidence), fix, entry.docs)
