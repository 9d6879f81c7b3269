"""One cause, one finding: a run whose every required target fails the same way states the
cause once (ROOT_*), first; one failing target, or two different failures, never do."""

from __future__ import annotations

from typing import Any

import pytest

from tests.world import plan, scenarios
from tests.world.run import (
    CliRun,
    check_scenarios,
    codes,
    finding,
    run_cli,
    run_netcheck,
    summary,
    target,
)
from tests.world.world import World

pytestmark = pytest.mark.world


def causes(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"].startswith("ROOT_")]


def the_cause(report: dict[str, Any], code: str) -> dict[str, Any]:
    found = causes(report)
    assert [f["code"] for f in found] == [code], report["findings"]
    assert report["findings"][0] is found[0] or report["findings"][0] == found[0]
    assert report["summary"]["cause"] == code
    assert found[0]["severity"] == "fail"
    return found[0]


def explained(report: dict[str, Any], host: str, code: str, cause: str) -> None:
    entry = target(report, host)
    assert finding(entry, code)["evidence"].get("explained_by") == cause, summary(entry)


def test_every_name_nxdomain_is_a_resolver_without_a_view(world: World) -> None:
    exit_code, report, _ = check_scenarios(world, "nxdomain-only", scenarios.NXDOMAIN_ONLY)
    assert exit_code == 1
    cause = the_cause(report, "ROOT_DNS")
    assert "no view of the internet or of these zones" in cause["message"], cause
    assert cause["evidence"]["outcome"] == "nxdomain"
    assert sorted(cause["evidence"]["targets"]) == sorted(
        f"{s.host}:443" for s in scenarios.NXDOMAIN_ONLY
    )
    for scenario in scenarios.NXDOMAIN_ONLY:
        explained(report, scenario.host, "DNS_NXDOMAIN", "ROOT_DNS")


def test_a_refusing_resolver_has_no_view(world: World) -> None:
    _, report, _ = check_scenarios(
        world, "genuine", scenarios.GENUINE, "--dns-server", plan.DNS_REFUSING
    )
    cause = the_cause(report, "ROOT_DNS")
    assert cause["evidence"]["outcome"] == "servfail", cause
    assert "no view of the internet" in cause["message"], cause


def test_a_silent_resolver_is_unreachable(world: World) -> None:
    _, report, _ = check_scenarios(
        world, "genuine", scenarios.GENUINE, "--dns-server", plan.DNS_DROPPED
    )
    cause = the_cause(report, "ROOT_DNS")
    assert cause["evidence"]["outcome"] == "timeout", cause
    assert "is unreachable" in cause["message"], cause
    assert cause["evidence"]["resolver"] == [plan.DNS_DROPPED]


def test_a_resolver_that_answers_everything_is_a_redirect(world: World) -> None:
    exit_code, report, _ = check_scenarios(
        world, "redirected", scenarios.REDIRECTED, "--dns-server", plan.DNS_PORTAL
    )
    assert exit_code == 1
    cause = the_cause(report, "ROOT_DNS_REDIRECT")
    assert cause["evidence"]["addresses"] == [plan.HEALTHY], cause
    assert len(cause["evidence"]["canaries"]) == 1, cause
    assert "captive portal or a DNS filter" in cause["message"]
    required = [s for s in scenarios.REDIRECTED if not s.wildcard]
    assert sorted(cause["evidence"]["targets"]) == sorted(f"{s.host}:443" for s in required)
    for scenario in required:
        explained(report, scenario.host, "TLS_HOSTNAME_MISMATCH", "ROOT_DNS_REDIRECT")


def test_every_direct_connection_refused_is_blocked_egress(world: World) -> None:
    _, report, _ = check_scenarios(world, "egress", scenarios.EGRESS_REFUSED)
    cause = the_cause(report, "ROOT_EGRESS_BLOCKED")
    assert cause["evidence"]["failure"] == "TCP_REFUSED"
    assert "refused" in cause["message"], cause
    for scenario in scenarios.EGRESS_REFUSED:
        explained(report, scenario.host, "TCP_REFUSED", "ROOT_EGRESS_BLOCKED")


def test_a_proxy_that_wants_credentials_for_every_tunnel(world: World) -> None:
    _, report, _ = check_scenarios(
        world, "proxy-passing", scenarios.PROXY_PASSING, "--proxy", World.proxy_url()
    )
    cause = the_cause(report, "ROOT_PROXY")
    assert cause["evidence"]["failure"] == "PROXY_AUTH_REQUIRED"
    assert cause["evidence"]["status"] == 407
    assert cause["evidence"]["schemes"] == ["Basic"], cause
    assert "wants credentials for every CONNECT" in cause["message"]


def test_one_inspection_ca_on_every_endpoint_is_interception(world: World) -> None:
    group = (scenarios.by_label("zscaler"), scenarios.by_label("proxy-zscaler"))
    _, report, _ = check_scenarios(world, "all-zscaler", group)
    cause = the_cause(report, "ROOT_INTERCEPTION")
    assert cause["evidence"]["interceptor"] == "Zscaler", cause
    assert "intercepted by Zscaler" in cause["message"], cause
    assert "Do Not Inspect" in cause["remediation"], cause
    for scenario in group:
        explained(report, scenario.host, "TLS_INTERCEPTED", "ROOT_INTERCEPTION")


def test_one_failing_target_is_not_a_cause(world: World) -> None:
    group = (*scenarios.GENUINE, scenarios.by_label("tcp-reset"))
    exit_code, report, _ = check_scenarios(world, "one-failing", group)
    assert exit_code == 1
    assert causes(report) == [] and report["summary"]["cause"] is None, report["findings"]
    entry = target(report, scenarios.by_label("tcp-reset").host)
    assert "explained_by" not in finding(entry, "TCP_REFUSED")["evidence"]


def test_a_lone_target_failing_is_not_a_cause(world: World) -> None:
    catalogue = world.scenario_catalogue("lone", (scenarios.by_label("tcp-reset"),))
    _, report, _ = run_netcheck(world, "--region", "testland", "--catalogue", str(catalogue))
    assert causes(report) == [], report["findings"]


def test_two_different_failures_are_not_a_cause(world: World) -> None:
    group = (scenarios.by_label("tcp-reset"), scenarios.by_label("absent"))
    exit_code, report, _ = check_scenarios(world, "two-failures", group)
    assert exit_code == 1
    assert causes(report) == [], report["findings"]
    assert {"TCP_REFUSED"} <= codes(target(report, group[0].host))
    assert {"DNS_NXDOMAIN"} <= codes(target(report, group[1].host))


def test_the_scenario_run_has_no_single_cause(scenario_run: tuple[CliRun, dict[str, Any]]) -> None:
    assert causes(scenario_run[1]) == [], scenario_run[1]["findings"]


@pytest.mark.parametrize("fmt", ["table", "markdown", "junit"])
def test_the_cause_comes_first_in_every_format(world: World, fmt: str) -> None:
    catalogue = world.scenario_catalogue("egress", scenarios.EGRESS_REFUSED)
    run = run_cli(world, "--region", "testland", "--catalogue", str(catalogue), "--format", fmt)
    assert run.exit_code == 1, run.describe()
    first = {
        "table": "CAUSE [FAIL] ROOT_EGRESS_BLOCKED",
        "markdown": "## Cause: FAIL `ROOT_EGRESS_BLOCKED`",
        "junit": 'name="ROOT_EGRESS_BLOCKED"',
    }[fmt]
    position = run.stdout.find(first)
    assert position >= 0, run.describe()
    for code in ("TCP_REFUSED",):
        assert run.stdout.find(code) > position, run.describe()
    if fmt == "table":
        assert run.stdout.rstrip().splitlines()[-1].endswith("cause: ROOT_EGRESS_BLOCKED"), (
            run.describe()
        )
