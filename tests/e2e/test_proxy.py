"""The real CLI through tinyproxy (CONNECT): credentials, filters, and a secret kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.world import plan, scenarios
from tests.world.run import codes, finding, run_cli, run_netcheck, summary, target
from tests.world.world import World

pytestmark = pytest.mark.world

RIGHT = World.proxy_url(plan.PROXY_USER, plan.PROXY_PASSWORD)
FORMATS = ("json", "table", "junit", "markdown")


@pytest.fixture(scope="module")
def proxy_catalogue(world: World) -> Path:
    return world.scenario_catalogue("proxy", scenarios.THROUGH_PROXY)


@pytest.fixture(scope="module")
def passing_catalogue(world: World) -> Path:
    return world.scenario_catalogue("proxy-passing", scenarios.PROXY_PASSING)


def test_run_through_the_authenticated_proxy_passes(world: World, passing_catalogue: Path) -> None:
    exit_code, report, stderr = run_netcheck(
        world, "--region", "testland", "--catalogue", str(passing_catalogue), "--proxy", RIGHT
    )
    assert exit_code == 0, stderr + str(report["summary"])
    for scenario in scenarios.PROXY_PASSING:
        entry = target(report, scenario.host)
        assert entry["status"] == "pass", summary(entry)
        assert entry["observations"]["proxy"]["status"] == 200, summary(entry)


def test_name_only_the_proxy_can_resolve_is_not_a_failure(
    world: World, passing_catalogue: Path
) -> None:
    _, report, _ = run_netcheck(
        world, "--region", "testland", "--catalogue", str(passing_catalogue), "--proxy", RIGHT
    )
    entry = target(report, scenarios.by_label("proxy-only").host)
    assert entry["status"] == "pass", summary(entry)
    assert not [f for f in entry["findings"] if f["severity"] == "fail"], summary(entry)
    assert entry["observations"]["tls"]["outcome"] == "ok", summary(entry)


def test_proxy_filter_gives_proxy_denied_and_interception_is_still_seen(
    world: World, proxy_catalogue: Path
) -> None:
    exit_code, report, stderr = run_netcheck(
        world, "--region", "testland", "--catalogue", str(proxy_catalogue), "--proxy", RIGHT
    )
    assert exit_code == 1, stderr
    for scenario in scenarios.PROXY_FAILING:
        entry = target(report, scenario.host)
        assert scenario.code in codes(entry), summary(entry)
        assert entry["status"] == "fail", summary(entry)
    denied = target(report, scenarios.by_label("proxy-denied").host)
    assert denied["observations"]["proxy"]["status"] == 403, summary(denied)


@pytest.mark.parametrize(
    ("proxy", "status"),
    [
        (World.proxy_url(), 407),
        (World.proxy_url(plan.PROXY_USER, "wrong"), 401),
    ],
    ids=["no-credentials", "wrong-password"],
)
def test_proxy_wants_credentials(
    world: World, passing_catalogue: Path, proxy: str, status: int
) -> None:
    exit_code, report, stderr = run_netcheck(
        world, "--region", "testland", "--catalogue", str(passing_catalogue), "--proxy", proxy
    )
    assert exit_code == 1, stderr
    for scenario in scenarios.PROXY_PASSING:
        entry = target(report, scenario.host)
        assert "PROXY_AUTH_REQUIRED" in codes(entry), summary(entry)
        assert entry["observations"]["proxy"]["status"] == status, summary(entry)


def test_closed_proxy_port_is_unreachable(world: World, passing_catalogue: Path) -> None:
    proxy = World.proxy_url(port=plan.CLOSED_PORT)
    exit_code, report, stderr = run_netcheck(
        world, "--region", "testland", "--catalogue", str(passing_catalogue), "--proxy", proxy
    )
    assert exit_code == 1, stderr
    for scenario in scenarios.PROXY_PASSING:
        entry = target(report, scenario.host)
        assert "PROXY_UNREACHABLE" in codes(entry), summary(entry)


@pytest.mark.parametrize("fmt", FORMATS)
def test_proxy_password_is_never_printed(
    world: World, proxy_catalogue: Path, tmp_path: Path, fmt: str
) -> None:
    output = tmp_path / f"report.{fmt}"
    for extra in ((), ("--output", str(output))):
        run = run_cli(
            world,
            "--region",
            "testland",
            "--catalogue",
            str(proxy_catalogue),
            "--proxy",
            RIGHT,
            "--format",
            fmt,
            *extra,
        )
        assert run.exit_code == 1, run.describe()
        assert plan.PROXY_PASSWORD not in run.stdout, run.describe()
        assert plan.PROXY_PASSWORD not in run.stderr, run.describe()
    assert plan.PROXY_PASSWORD not in output.read_text()


def test_json_options_show_the_proxy_redacted(world: World, passing_catalogue: Path) -> None:
    _, report, _ = run_netcheck(
        world, "--region", "testland", "--catalogue", str(passing_catalogue), "--proxy", RIGHT
    )
    shown = str(report["options"]["proxy"])
    assert plan.PROXY in shown and plan.PROXY_USER in shown, shown
    assert plan.PROXY_PASSWORD not in shown


def test_a_proxy_offering_only_ntlm_and_negotiate_is_explained(
    world: World, passing_catalogue: Path
) -> None:
    proxy = f"http://{plan.AUTH_PROXY}:{plan.AUTH_PROXY_PORT}"
    exit_code, report, stderr = run_netcheck(
        world, "--region", "testland", "--catalogue", str(passing_catalogue), "--proxy", proxy
    )
    assert exit_code == 1, stderr
    for scenario in scenarios.PROXY_PASSING:
        entry = target(report, scenario.host)
        auth = finding(entry, "PROXY_AUTH_REQUIRED")
        assert auth["evidence"]["schemes"] == ["NTLM", "Negotiate"], summary(entry)
        assert "offering NTLM, Negotiate" in auth["message"], auth
        fix = auth["remediation"]
        assert "Both anonymous and basic authentication" in fix, fix
        assert "learn.microsoft.com" in fix and "source address" in fix, fix
    cause = next(f for f in report["findings"] if f["code"] == "ROOT_PROXY")
    assert cause["evidence"]["schemes"] == ["NTLM", "Negotiate"], cause
