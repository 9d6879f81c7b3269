"""Findings about the run as a whole: canaries, revocation hosts, the clock, partial interception."""

from __future__ import annotations

from typing import Any

import pytest

from tests.world import scenarios
from tests.world.run import CliRun, check_scenarios, codes, finding, run_netcheck, summary, target
from tests.world.world import World

pytestmark = pytest.mark.world


def run_codes(report: dict[str, Any]) -> set[str]:
    return {f["code"] for f in report["findings"]}


def test_canary_under_an_answer_everything_zone_is_noticed(world: World) -> None:
    catalogue = world.scenario_catalogue("canary", scenarios.CANARY)
    report = run_netcheck(world, "--region", "testland", "--catalogue", str(catalogue)).report
    zone = scenarios.CANARY[0].host
    canaries = [t for t in report["targets"] if t["canary"]]
    assert [t["host"].split(".", 1)[1] for t in canaries] == [zone], report["targets"]
    assert "CANARY_ANSWERED" in codes(canaries[0]), summary(canaries[0])
    assert finding(canaries[0], "CANARY_ANSWERED")["severity"] == "warn"


def test_unreachable_revocation_host_is_a_warning(world: World) -> None:
    exit_code, report, stderr = check_scenarios(world, "revocation", scenarios.REVOCATION)
    assert exit_code == 0, stderr + str(report["summary"])
    ok = target(report, scenarios.by_label("crl-ok").host, port=80)
    assert ok["status"] == "pass", summary(ok)
    reset = target(report, scenarios.by_label("crl-reset").host, port=80)
    assert reset["status"] == "warn", summary(reset)
    unreachable = finding(reset, "REVOCATION_UNREACHABLE")
    assert unreachable["evidence"]["cause"] == "TCP_REFUSED", unreachable


def test_servers_two_hours_ahead_mean_this_clock_is_behind(world: World) -> None:
    catalogue = world.scenario_catalogue("skewed-clock", scenarios.SKEWED_CLOCK)
    report = run_netcheck(world, "--region", "testland", "--catalogue", str(catalogue)).report
    assert "CLOCK_SKEW" in run_codes(report), report["findings"]
    skew = next(f for f in report["findings"] if f["code"] == "CLOCK_SKEW")
    assert abs(skew["evidence"]["skew_seconds"] - scenarios.SKEW_SECONDS) < 120, skew


def test_genuine_servers_do_not_report_clock_skew(
    scenario_run: tuple[CliRun, dict[str, Any]],
) -> None:
    assert "CLOCK_SKEW" not in run_codes(scenario_run[1])


def test_some_intercepted_some_not_is_partial_interception(
    scenario_run: tuple[CliRun, dict[str, Any]],
) -> None:
    report = scenario_run[1]
    assert "TLS_INTERCEPTION_PARTIAL" in run_codes(report), report["findings"]
    partial = next(f for f in report["findings"] if f["code"] == "TLS_INTERCEPTION_PARTIAL")
    assert scenarios.by_label("zscaler").host in partial["evidence"]["intercepted"]
    assert scenarios.by_label("healthy").host in partial["evidence"]["not_intercepted"]
