"""What the renderers share: which step a finding belongs to and a one-line step summary."""

from __future__ import annotations

from netcheck.models import Observation, Outcome, TargetResult

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
    """e.g. 'dns 2 ms, tcp 1 ms, TLSv1.3, HTTP 404' or the step where it stopped."""
    obs = result.observation
    if obs is None:
        return f"skipped: {result.target.skip_reason}"
    parts = []
    if obs.dns is not None:
        parts.append(
            f"dns {obs.dns.outcome.value}"
            if obs.dns.outcome is not Outcome.OK
            else f"dns {obs.dns.addresses[0]}"
        )
    if obs.via_proxy is not None:
        parts.append(
            "proxy "
            + (obs.proxy.outcome.value if obs.proxy else obs.tcp.outcome.value if obs.tcp else "-")
        )
    elif obs.tcp is not None:
        parts.append(f"tcp {obs.tcp.outcome.value}")
    if obs.tls is not None:
        parts.append(obs.tls.version or f"tls {obs.tls.outcome.value}")
    if obs.http is not None:
        parts.append(
            f"HTTP {obs.http.status}" if obs.http.status else f"http {obs.http.outcome.value}"
        )
    return ", ".join(parts)
