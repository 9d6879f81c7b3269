"""Every obstacle of the world, probed by the real CLI in one direct run, gives its finding."""

from __future__ import annotations

from typing import Any

import pytest

from tests.world import plan, scenarios
from tests.world.run import CliRun, check_scenarios, codes, finding, run_netcheck, summary, target
from tests.world.scenarios import Scenario
from tests.world.world import World

pytestmark = pytest.mark.world

ScenarioRun = tuple[CliRun, dict[str, Any]]
# Codes that do not fail their target: information, and warnings.
_STATUS = {"DNS_PRIVATE": "pass", "TLS_EXPIRING": "warn", "CATALOGUE_STALE": "warn"}


def test_run_fails_and_reports_every_scenario(scenario_run: ScenarioRun) -> None:
    run, report = scenario_run
    assert run.exit_code == 1, run.describe()
    assert report["schema"] == "netcheck.report/1"
    assert report["summary"]["status"] == "fail"
    hosts = sorted(t["host"] for t in report["targets"])
    assert hosts == sorted(s.host for s in scenarios.DIRECT)


@pytest.mark.parametrize("scenario", scenarios.DIRECT, ids=lambda s: s.label)
def test_scenario_gives_its_code(scenario_run: ScenarioRun, scenario: Scenario) -> None:
    entry = target(scenario_run[1], scenario.host)
    if scenario.code is None:
        assert entry["status"] == "pass", summary(entry)
        assert codes(entry) == set(), summary(entry)
    else:
        assert scenario.code in codes(entry), summary(entry)
        assert entry["status"] == _STATUS.get(scenario.code, "fail"), summary(entry)


@pytest.mark.parametrize("scenario", scenarios.DIRECT, ids=lambda s: s.label)
def test_findings_carry_message_and_remediation(
    scenario_run: ScenarioRun, scenario: Scenario
) -> None:
    for f in target(scenario_run[1], scenario.host)["findings"]:
        assert f["severity"] in ("fail", "warn", "info")
        assert f["message"].strip() and f["remediation"].strip(), f


def test_zscaler_is_named_as_the_interceptor(scenario_run: ScenarioRun) -> None:
    entry = target(scenario_run[1], scenarios.by_label("zscaler").host)
    evidence = finding(entry, "TLS_INTERCEPTED")["evidence"]
    assert evidence["interceptor"] == "Zscaler", evidence
    assert "Zscaler Intermediate Root CA (zscaler.net)" in evidence["issuer"]


def test_unknown_inspection_ca_is_intercepted_without_a_product_name(
    scenario_run: ScenarioRun,
) -> None:
    entry = target(scenario_run[1], scenarios.by_label("contoso").host)
    evidence = finding(entry, "TLS_INTERCEPTED")["evidence"]
    assert evidence["interceptor"] is None, evidence
    assert "Contoso Inspection CA" in evidence["issuer"]


def test_forged_microsoft_names_are_not_mistaken_for_microsoft(
    scenario_run: ScenarioRun, world: World
) -> None:
    entry = target(scenario_run[1], scenarios.by_label("forged").host)
    assert "TLS_INTERCEPTED" in codes(entry), summary(entry)
    assert "TLS_UNTRUSTED" not in codes(entry), summary(entry)
    evidence = finding(entry, "TLS_INTERCEPTED")["evidence"]
    assert "Microsoft Azure RSA TLS Issuing CA 03" in evidence["issuer"]


def test_private_endpoint_passes_with_an_info_finding(scenario_run: ScenarioRun) -> None:
    entry = target(scenario_run[1], scenarios.by_label("private").host)
    private = finding(entry, "DNS_PRIVATE")
    assert private["severity"] == "info"
    assert [f["code"] for f in entry["findings"]] == ["DNS_PRIVATE"], summary(entry)
    dns = entry["observations"]["dns"]
    assert dns["addresses"] == [plan.PRIVATE]
    assert f"private.{scenarios.PRIVATELINK_ZONE}" in [c.rstrip(".") for c in dns["cnames"]]
    assert entry["observations"]["tls"]["outcome"] == "ok"
    assert entry["observations"]["http"]["status"] == 404


def test_genuine_chains_are_recorded_whole(scenario_run: ScenarioRun, world: World) -> None:
    """The observation keeps the presented chain (leaf + intermediate) for re-judging."""
    entry = target(scenario_run[1], scenarios.by_label("healthy").host)
    chain = entry["observations"]["tls"]["chain"]
    intermediate = world.authorities.azure_rsa
    assert len(chain) == 2, summary(entry)
    assert chain[1]["sha1"].upper() == intermediate.sha1


def test_genuine_chain_without_its_root_is_untrusted_not_intercepted(world: World) -> None:
    catalogue = world.scenario_catalogue("genuine", scenarios.GENUINE)
    exit_code, report, stderr = run_netcheck(
        world,
        "--region",
        "testland",
        "--catalogue",
        str(catalogue),
        "--ca-bundle",
        str(world.unrelated_bundle),
    )
    assert exit_code == 1, stderr
    for scenario in scenarios.GENUINE:
        entry = target(report, scenario.host)
        assert "TLS_UNTRUSTED" in codes(entry), summary(entry)
        assert "TLS_INTERCEPTED" not in codes(entry), summary(entry)


def test_genuine_chains_pass_on_their_own(world: World) -> None:
    exit_code, report, stderr = check_scenarios(world, "genuine", scenarios.GENUINE)
    assert exit_code == 0, stderr + str(report["summary"])
    assert report["summary"]["status"] == "pass"


def test_dropped_dns_server_times_out(world: World) -> None:
    exit_code, report, stderr = check_scenarios(
        world, "genuine", scenarios.GENUINE, "--dns-server", plan.DNS_DROPPED
    )
    assert exit_code == 1, stderr
    for scenario in scenarios.GENUINE:
        entry = target(report, scenario.host)
        assert "DNS_TIMEOUT" in codes(entry), summary(entry)
        assert entry["observations"]["dns"]["resolver"] == [plan.DNS_DROPPED]


def test_dns_server_option_replaces_the_system_resolver(world: World) -> None:
    """The proxy's resolver knows a name the client's does not: asking it directly passes."""
    exit_code, report, stderr = check_scenarios(
        world, "proxy-passing", scenarios.PROXY_PASSING, "--dns-server", plan.DNS_PROXY_VIEW
    )
    assert exit_code == 0, stderr + str(report["summary"])
    entry = target(report, scenarios.by_label("proxy-only").host)
    assert entry["status"] == "pass", summary(entry)


def test_a_tls10_only_server_is_named_by_the_second_handshake(scenario_run: ScenarioRun) -> None:
    """It resets the first handshake (no TLS 1.0 offered); the legacy one gets TLS 1.0."""
    entry = target(scenario_run[1], scenarios.by_label("tls10").host)
    assert codes(entry) == {"TLS_PROTOCOL"}, summary(entry)
    protocol = finding(entry, "TLS_PROTOCOL")
    assert protocol["evidence"]["server_version"] == "TLSv1", protocol
    assert "speaks only TLSv1" in protocol["message"], protocol
    tls = entry["observations"]["tls"]
    assert tls["outcome"] == "reset" and tls["legacy_version"] == "TLSv1", summary(entry)


def test_a_tls11_server_that_answers_with_an_alert_is_named_too(scenario_run: ScenarioRun) -> None:
    entry = target(scenario_run[1], scenarios.by_label("tls-legacy").host)
    protocol = finding(entry, "TLS_PROTOCOL")
    assert protocol["evidence"]["server_version"] == "TLSv1.1", protocol


def test_sni_reset_stays_a_reset_whatever_is_offered(scenario_run: ScenarioRun) -> None:
    entry = target(scenario_run[1], scenarios.by_label("sni-blocked").host)
    assert codes(entry) == {"TLS_RESET"}, summary(entry)
    assert entry["observations"]["tls"]["legacy_version"] is None, summary(entry)


def test_a_certificate_expiring_in_ten_days_is_a_warning(scenario_run: ScenarioRun) -> None:
    entry = target(scenario_run[1], scenarios.by_label("expiring").host)
    expiring = finding(entry, "TLS_EXPIRING")
    assert expiring["severity"] == "warn"
    assert expiring["evidence"]["certificate"] == "leaf", expiring
    assert expiring["evidence"]["days_left"] in (9, 10), expiring
    assert scenarios.by_label("expiring").host in expiring["evidence"]["subject"]


def test_a_shorter_window_silences_the_expiry_warning(world: World) -> None:
    group = (scenarios.by_label("expiring"),)
    exit_code, report, stderr = check_scenarios(
        world, "expiring", group, "--expiry-warning-days", "5"
    )
    assert exit_code == 0, stderr
    assert target(report, group[0].host)["status"] == "pass"


def test_a_microsoft_ca_newer_than_the_catalogue_is_not_interception(
    scenario_run: ScenarioRun, world: World
) -> None:
    entry = target(scenario_run[1], scenarios.by_label("new-ca").host)
    assert codes(entry) == {"CATALOGUE_STALE"}, summary(entry)
    stale = finding(entry, "CATALOGUE_STALE")
    evidence = stale["evidence"]
    assert evidence["sha1"] == world.authorities.azure_new.sha1, evidence
    assert evidence["root_sha1"] == world.authorities.digicert_g2.sha1, evidence
    assert "DigiCert Global Root G2" in evidence["root"], evidence
    assert "Microsoft TLS RSA Issuing CA 99" in stale["message"], stale
