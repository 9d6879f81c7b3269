"""`netcheck diagnose` end to end in the test world: a fabricated worker install whose
configured proxy intercepts TLS must be diagnosed as interception, naming that proxy.

The install is written below a temporary --root (agent-based Linux worker, region "testland"
from its JRDS URL, proxy in /etc/opt/microsoft/omsagent/proxy.conf) and diagnose runs inside
ncw-client, so every probe goes through the configured proxy of the world.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.unit.diagnose.builders import ACCOUNT, EVENT_4502, WORKER_LOG, WORKSPACE, HostBuilder
from tests.world import plan, scenarios
from tests.world.catalogue import REPO
from tests.world.run import CliRun, clean_env
from tests.world.world import World

pytestmark = pytest.mark.world

PROXY_CONF = "/etc/opt/microsoft/omsagent/proxy.conf"
TESTLAND_JRDS = f"https://{ACCOUNT}.jrds.tl.azure-automation.net/automationAccounts/{ACCOUNT}"
HEALTHY = scenarios.DIRECT[0]


def fabricated_install(root: Path, proxy_url: str, log_4502: bool) -> Path:
    builder = HostBuilder(root).machine().agent_based(jrds=TESTLAND_JRDS, proxy=proxy_url)
    if log_4502:
        builder.log(WORKER_LOG, "2025-03-01 10:00:05 [ERROR] " + EVENT_4502.format(ws=WORKSPACE))
    return root


def diagnose(world: World, root: Path, catalogue: Path) -> tuple[CliRun, dict[str, Any]]:
    argv = (
        "ip", "netns", "exec", plan.CLIENT_NS, sys.executable, "-m", "netcheck", "diagnose",
        "--root", str(root), "--catalogue", str(catalogue), "--ca-bundle", str(world.ca_bundle),
        "--timeout", "2", "--format", "json",
    )  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=clean_env(),
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    run = CliRun(done.returncode, done.stdout, done.stderr, time.monotonic() - started, argv)
    try:
        return run, json.loads(run.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"stdout is not JSON ({exc})\n{run.describe()}") from None


def assert_interception_through(
    report: dict[str, Any], run: CliRun, proxy_shown: str, code: str = "TLS_INTERCEPTED"
) -> None:
    first = report["diagnosis"][0]
    assert first["code"] == code, run.describe()
    assert f"through the proxy {proxy_shown}" in first["summary"], first
    assert PROXY_CONF in first["summary"], first
    assert proxy_shown in first["fix"], first
    used = report["agent"]["proxy"]["used"]
    assert (used["source"], used["location"], used["proxy"]) == (
        "omsagent proxy.conf",
        PROXY_CONF,
        proxy_shown,
    )
    assert report["agent"]["region"] == "testland", report["agent"]
    assert report["options"]["proxy"] == proxy_shown


def test_interception_behind_the_configured_proxy_is_the_first_cause(
    world: World, tmp_path: Path
) -> None:
    """tinyproxy (with credentials, from proxy.conf) tunnels to a name whose server presents a
    Zscaler chain; the worker's log carries the event 4502 text."""
    url = world.proxy_url(plan.PROXY_USER, plan.PROXY_PASSWORD)
    root = fabricated_install(tmp_path / "host", url, log_4502=True)
    zscaler = scenarios.by_label("proxy-zscaler")
    catalogue = world.scenario_catalogue("diagnose-tinyproxy", (HEALTHY, zscaler))
    run, report = diagnose(world, root, catalogue)
    assert run.exit_code == 1, run.describe()
    assert f"{plan.PROXY_USER}:{plan.PROXY_PASSWORD}@" not in run.stdout + run.stderr
    shown = f"http://{plan.PROXY_USER}:***@{plan.PROXY}:{plan.PROXY_PORT}"
    assert_interception_through(report, run, shown)
    first = report["diagnosis"][0]
    assert zscaler.host in first["summary"], first
    assert "own log agrees" in first["summary"], first
    assert any(e.startswith(f"log {WORKER_LOG} at 2025-03-01 10:00:05") for e in first["evidence"])
    statuses = {t["host"]: t["status"] for t in report["targets"] if not t["canary"]}
    assert statuses == {HEALTHY.host: "pass", zscaler.host: "fail"}, statuses


def test_a_real_intercepting_proxy_configured_for_the_worker(
    world: World, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """mitmdump as the worker's explicit proxy: every genuine endpoint is intercepted."""
    try:
        mitm = request.getfixturevalue("mitm_known")
    except pytest.FixtureLookupError:
        pytest.skip("this test world has no mitmdump fixture (mitm_known in tests/e2e/conftest)")
    root = fabricated_install(tmp_path / "host", mitm.proxy_url, log_4502=False)
    catalogue = world.scenario_catalogue("diagnose-genuine", scenarios.GENUINE)
    run, report = diagnose(world, root, catalogue)
    assert run.exit_code == 1, run.describe()
    # Every endpoint intercepted by one CA: the run's cause first, the endpoints after it.
    assert_interception_through(report, run, mitm.proxy_url, "ROOT_INTERCEPTION")
    first, second = report["diagnosis"][:2]
    assert "intercepted by mitmproxy" in first["summary"], first
    assert second["code"] == "TLS_INTERCEPTED", report["diagnosis"]
    assert f"{len(scenarios.GENUINE)} endpoints" in second["summary"], second
    assert "mitmproxy" in " ".join(second["evidence"]), second
