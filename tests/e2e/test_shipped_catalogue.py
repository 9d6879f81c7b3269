"""The shipped catalogue, end to end: every real Azure name resolves to the healthy server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.world.run import Result, run_netcheck, summary, target
from tests.world.world import SHIPPED_REGION, SHIPPED_WORKSPACE, World

pytestmark = pytest.mark.world

WORKSPACE = SHIPPED_WORKSPACE
REQUIRED_HOSTS = (
    f"{WORKSPACE}.agentsvc.azure-automation.net",
    "we-jobruntimedata-prod-su1.azure-automation.net",
    f"{WORKSPACE}.ods.opinsights.azure.com",
    f"{WORKSPACE}.oms.opinsights.azure.com",
)


@pytest.fixture(scope="module")
def westeurope(world: World) -> Result:
    return run_netcheck(
        world,
        "--region",
        SHIPPED_REGION,
        "--workspace-id",
        WORKSPACE,
        "--update-management",
        "--catalogue",
        str(world.shipped_catalogue()),
    )


def test_agent_worker_with_update_management_passes(westeurope: Result) -> None:
    exit_code, report, stderr = westeurope
    failing = [summary(t) for t in report["targets"] if t["status"] in ("fail", "warn")]
    assert not failing, "\n".join(failing)
    assert exit_code == 0, stderr
    assert report["summary"]["status"] == "pass"


@pytest.mark.parametrize("host", REQUIRED_HOSTS)
def test_required_host_is_probed_and_passes(westeurope: Result, host: str) -> None:
    entry: dict[str, Any] = target(westeurope.report, host)
    assert entry["status"] == "pass", summary(entry)
    assert entry["observations"]["tls"]["outcome"] == "ok", summary(entry)
    assert entry["observations"]["http"]["status"] == 404, summary(entry)
