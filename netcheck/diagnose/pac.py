"""Runs a PAC file for each host to probe, with a real JavaScript engine (pypac's dukpy), and
turns its answers into the proxy netcheck probes that host through."""

from __future__ import annotations

from collections.abc import Iterable

from netcheck.diagnose.proxy_choice import PacDecision, PacResult, candidate


def evaluate(url: str, script: str | None, problem: str | None, hosts: Iterable[str]) -> PacResult:
    """FindProxyForURL("https://<host>/", host) for every host; a script that cannot be read or
    run is a PacResult with its problem, never an exception."""
    if script is None:
        return PacResult(url, problem=problem or "the PAC file could not be read")
    try:
        from pypac.parser import PACFile
    except ImportError:
        return PacResult(
            url, problem="no PAC engine: install pypac (pip install pypac) to evaluate it"
        )
    try:
        pac = PACFile(script)
    except Exception as exc:  # pypac raises its own errors and the JS engine's
        return PacResult(url, problem=f"the PAC file does not run: {type(exc).__name__}: {exc}")
    decisions = []
    for host in dict.fromkeys(hosts):
        try:
            answer = str(pac.find_proxy_for_url(f"https://{host}/", host))
        except Exception as exc:
            decisions.append(
                PacDecision(host, f"error: {exc}", None, f"the PAC file failed: {exc}")
            )
            continue
        decisions.append(decide(host, answer))
    return PacResult(url, tuple(decisions))


def decide(host: str, answer: str) -> PacDecision:
    """The first entry of a PAC answer ("PROXY a:8080; DIRECT") is the one a client tries."""
    first = answer.split(";")[0].strip()
    kind, _, address = first.partition(" ")
    kind = kind.upper()
    if kind == "DIRECT" or not first:
        return PacDecision(host, answer, None)
    if kind in ("PROXY", "HTTP"):
        found = candidate(address.strip(), "PAC", host)
        return PacDecision(host, answer, found.settings, found.problem)
    return PacDecision(host, answer, None, f"{kind}: netcheck can only tunnel through HTTP proxies")
