"""Runs the real netcheck CLI inside ncw-client, and reads its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from tests.world import plan
from tests.world.catalogue import REPO
from tests.world.scenarios import Scenario
from tests.world.world import World

DEFAULT_TIMEOUT = "2"
# Variables that would change what netcheck does behind the test's back.
_SCRUBBED_PREFIXES = ("NETCHECK_",)
_SCRUBBED = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


@dataclass(frozen=True)
class CliRun:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    argv: tuple[str, ...]

    def describe(self) -> str:
        """What a failing assertion should show: the command and what it printed."""
        return (
            f"command: {' '.join(self.argv)}\nexit: {self.exit_code} after "
            f"{self.seconds:.1f}s\nstderr:\n{self.stderr[-3000:]}\nstdout:\n"
            f"{self.stdout[-3000:]}"
        )


class Result(NamedTuple):
    exit_code: int
    report: dict[str, Any]
    stderr: str


def clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)
    }


def check_argv(world: World, *args: str) -> tuple[str, ...]:
    """`netcheck check ARGS` in ncw-client, with `--timeout 2` and the world's public roots as
    `--ca-bundle` unless ARGS give their own."""
    extra: list[str] = []
    if "--timeout" not in args:
        extra += ["--timeout", DEFAULT_TIMEOUT]
    if "--ca-bundle" not in args:
        extra += ["--ca-bundle", str(world.ca_bundle)]
    return (
        "ip",
        "netns",
        "exec",
        plan.CLIENT_NS,
        sys.executable,
        "-m",
        "netcheck",
        "check",
        *args,
        *extra,
    )


def run_cli(
    world: World, *args: str, wall_limit: float = 120.0, env: Mapping[str, str] | None = None
) -> CliRun:
    """check_argv's command, run to its end; `env` adds or replaces environment variables
    (SSL_CERT_FILE: the operating system's trust store)."""
    argv = check_argv(world, *args)
    started = time.monotonic()
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**clean_env(), **(env or {})},
        timeout=wall_limit,
        stdin=subprocess.DEVNULL,
    )
    return CliRun(done.returncode, done.stdout, done.stderr, time.monotonic() - started, argv)


def run_json(
    world: World, *args: str, env: Mapping[str, str] | None = None
) -> tuple[CliRun, dict[str, Any]]:
    run = run_cli(world, *args, "--format", "json", env=env)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"stdout is not JSON ({exc})\n{run.describe()}") from None
    return run, report


def run_netcheck(world: World, *args: str) -> Result:
    """(exit code, JSON report, stderr) of one run."""
    run, report = run_json(world, *args)
    return Result(run.exit_code, report, run.stderr)


def check_scenarios(world: World, name: str, group: Sequence[Scenario], *args: str) -> Result:
    """run_netcheck over a catalogue of `group`'s scenarios (region testland), with ARGS."""
    catalogue = world.scenario_catalogue(name, group)
    return run_netcheck(world, "--region", "testland", "--catalogue", str(catalogue), *args)


def target(report: dict[str, Any], host: str, port: int = 443) -> dict[str, Any]:
    for entry in report["targets"]:
        if entry["host"] == host and entry["port"] == port:
            found: dict[str, Any] = entry
            return found
    hosts = ", ".join(sorted(f"{t['host']}:{t['port']}" for t in report["targets"]))
    raise AssertionError(f"no target {host}:{port} in the report; it has: {hosts}")


def codes(entry: dict[str, Any]) -> set[str]:
    return {f["code"] for f in entry["findings"]}


def finding(entry: dict[str, Any], code: str) -> dict[str, Any]:
    for f in entry["findings"]:
        if f["code"] == code:
            found: dict[str, Any] = f
            return found
    raise AssertionError(f"{entry['host']}: no {code} finding; findings: {entry['findings']}")


def summary(entry: dict[str, Any]) -> str:
    """One line per target for assertion messages: status, codes and the observations."""
    return json.dumps(
        {k: entry.get(k) for k in ("host", "status", "findings", "observations")},
        indent=1,
        default=str,
    )[:4000]
