"""Runs a PAC file for each host to probe, with a real JavaScript engine (pypac's dukpy), and
turns its answers into the proxy netcheck probes that host through."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable

from netcheck.diagnose.proxy_choice import PacDecision, PacResult, candidate

# A PAC file is a program from the network: one that loops must not hang diagnose. The
# JavaScript engine holds the interpreter while it runs, so a thread cannot be timed out:
# the script runs in a child process (netcheck.diagnose.pac_engine), killed at the limit.
PAC_SECONDS = 10.0


def evaluate(
    url: str,
    script: str | None,
    problem: str | None,
    hosts: Iterable[str],
    seconds: float = PAC_SECONDS,
) -> PacResult:
    """FindProxyForURL("https://<host>/", host) for every host, within `seconds` in all; a
    script that cannot be read, run or finished is a PacResult with its problem, never an
    exception or a hang."""
    if script is None:
        return PacResult(url, problem=problem or "the PAC file could not be read")
    names = list(dict.fromkeys(hosts))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "netcheck.diagnose.pac_engine"],
            input=json.dumps({"script": script, "hosts": names}),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return PacResult(
            url, problem=f"the PAC file did not answer within {seconds:g} s (a script that loops?)"
        )
    try:
        outcome = json.loads(done.stdout)
    except ValueError:
        lines = done.stderr.strip().splitlines()
        return PacResult(
            url, problem=f"the PAC engine failed: {lines[-1] if lines else done.returncode}"
        )
    if "problem" in outcome:
        return PacResult(url, problem=str(outcome["problem"]))
    decisions = []
    for host, (answer, error) in zip(names, outcome["answers"], strict=True):
        if error is not None:
            decisions.append(
                PacDecision(host, f"error: {error}", None, f"the PAC file failed: {error}")
            )
        else:
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
