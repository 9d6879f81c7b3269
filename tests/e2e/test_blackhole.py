"""Every endpoint dropped: targets are probed concurrently, so the run takes about one timeout."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.world import scenarios
from tests.world.catalogue import REPO
from tests.world.run import check_argv, clean_env, codes, run_json, summary, target
from tests.world.world import World

pytestmark = pytest.mark.world

TIMEOUT = 2.0
# A sanity bound, not a benchmark: probing one target after another would take
# len(BLACKHOLE) x TIMEOUT (and more with retries); machines are noisy, so be generous.
WALL_LIMIT = 4 * TIMEOUT + 5


def test_blackhole_run_finishes_quickly_and_fails_every_target(world: World) -> None:
    catalogue = world.scenario_catalogue("blackhole", scenarios.BLACKHOLE)
    run, report = run_json(
        world, "--region", "testland", "--catalogue", str(catalogue), "--timeout", str(TIMEOUT)
    )
    assert run.exit_code == 1, run.describe()
    assert run.seconds < WALL_LIMIT, run.describe()
    assert len(report["targets"]) == len(scenarios.BLACKHOLE)
    for scenario in scenarios.BLACKHOLE:
        entry = target(report, scenario.host)
        assert codes(entry) == {"TCP_TIMEOUT"}, summary(entry)
    cause = report["findings"][0]
    assert cause["code"] == "ROOT_EGRESS_BLOCKED", report["findings"]
    assert "dropped" in cause["message"], cause


def test_ctrl_c_while_probes_wait_exits_130_at_once_and_quietly(world: World) -> None:
    """Every probe is waiting on a dropped packet when SIGINT arrives: the run stops then,
    not at its timeout, with one line and exit 130, and nothing of the event loop's (a
    pending task, an unretrieved exception) reaches stderr."""
    catalogue = world.scenario_catalogue("blackhole", scenarios.BLACKHOLE)
    argv = check_argv(
        world, "--region", "testland", "--catalogue", str(catalogue), "--timeout", "30"
    )
    process = subprocess.Popen(
        argv,
        cwd=REPO,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2)  # well past start-up: every probe waits on its SYN
        process.send_signal(signal.SIGINT)  # `ip netns exec` became the interpreter
        started = time.monotonic()
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert time.monotonic() - started < 5, err
    assert err.strip().splitlines() == ["netcheck: interrupted"], err
    assert out == ""
