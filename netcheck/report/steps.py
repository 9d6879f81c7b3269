"""What the renderers share: which step a finding belongs to and a one-line step summary."""

from __future__ import annotations

from netcheck.models import Finding, Observation, Outcome, Report, TargetResult

STEPS = ("dns", "connect", "tls", "http")


def step_of(code: str) -> str:
    prefix = code.split("_", 1)[0]
    return {"DNS": "dns", "TCP": "connect", "PROXY": "connect", "TLS": "tls"}.get(prefix, "http")


def reached(observation: Observation, step: str) -> bool:
    if step == "dns":
        return observation.dns is not None
    if step == "connect":
        return observation.tcp is not None
    return getattr(observation, step) is not None


def summary_line(result: TargetResult) -> str:
    """How far the path went: e.g. 'TLSv1.3, HTTP 404' or 'via proxy, tcp timeout'."""
    obs = result.observation
    if obs is None:
        return f"skipped: {result.target.skip_reason}"
    parts = ["via proxy"] if obs.via_proxy is not None else []
    steps = (
        ("dns", obs.dns),
        ("proxy", obs.proxy),
        ("tcp", obs.tcp),
        ("tls", obs.tls),
        ("http", obs.http),
    )
    stopped = next(
        (
            (n, s.outcome)
            for n, s in steps
            if s is not None
            and s.outcome is not Outcome.OK
            and not (n == "dns" and obs.via_proxy is not None)
        ),
        None,
    )
    if obs.tls is not None and obs.tls.version:
        parts.append(obs.tls.version)
    if obs.http is not None and obs.http.status is not None:
        parts.append(f"HTTP {obs.http.status}")
    if stopped is not None:
        parts.append(f"{stopped[0]} {stopped[1].value}")
    return ", ".join(parts) or "dns ok"


def causes(report: Report) -> tuple[Finding, ...]:
    """The run's root causes (codes ROOT_*): stated once, and first in every format."""
    return tuple(f for f in report.findings if f.code.startswith("ROOT_"))


def explained_by(found: Finding) -> str | None:
    """The root cause that accounts for a target's finding, if any."""
    cause = found.evidence.get("explained_by")
    return str(cause) if cause else None
