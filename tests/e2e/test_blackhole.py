"""Every endpoint dropped: targets are probed concurrently, so the run takes about one timeout."""

from __future__ import annotations

import pytest

from tests.world import scenarios
from tests.world.run import codes, run_json, summary, target
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
