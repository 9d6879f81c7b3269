"""From catalogue and user choices to concrete targets: hosts, skips and wildcards."""

from __future__ import annotations

import pytest

from netcheck.errors import UsageError
from netcheck.expand import (
    Selection,
    deployments_for,
    expand,
    find_region,
    parse_guid,
    probe_targets,
)
from netcheck.models import Catalogue, Deployment, Target

W = "1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"
A = "4f3e2d1c-0b9a-8765-4321-0fedcba98765"


def targets_for(
    catalogue: Catalogue,
    region: str,
    workspace_id: str | None = None,
    account_id: str | None = None,
    update_management: bool = False,
) -> dict[str, Target]:
    selection = Selection(
        region=find_region(catalogue, region),
        deployments=deployments_for(workspace_id, account_id, update_management),
        workspace_id=workspace_id,
        account_id=account_id,
    )
    found = expand(catalogue, selection)
    by_host = {t.host: t for t in found}
    assert len(by_host) == len(found), "one target per host (all on port 443 or 80)"
    return by_host


# ---------------------------------------------------------------- the README's example: West Europe, agent-based, Update Management


def test_west_europe_agent_with_update_management(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "westeurope", workspace_id=W, update_management=True)
    for host in (
        f"{W}.agentsvc.azure-automation.net",
        "we-jobruntimedata-prod-su1.azure-automation.net",
        f"{W}.ods.opinsights.azure.com",
        f"{W}.oms.opinsights.azure.com",
    ):
        assert host in found
        assert found[host].skip_reason is None
        assert found[host].port == 443
    # an agent-based setup does not need the extension-based worker's per-account hosts
    assert not any(".jrds.we." in h for h in found)


def test_targets_carry_purpose_source_and_deployments(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "westeurope", workspace_id=W, update_management=True)
    jrds = found["we-jobruntimedata-prod-su1.azure-automation.net"]
    assert jrds.endpoint_ids == ("jrds-legacy",)
    assert jrds.purpose and jrds.source
    assert Deployment.AGENT in jrds.deployments
    assert jrds.bypass_inspection


# ---------------------------------------------------------------- region lookup


@pytest.mark.parametrize(
    "query", ["westeurope", "WestEurope", "West Europe", "west europe", "WE", "we", " we "]
)
def test_region_by_arm_name_display_name_or_code_in_any_case(
    catalogue: Catalogue, query: str
) -> None:
    assert find_region(catalogue, query).name == "westeurope"


def test_region_lookup_finds_sovereign_regions(catalogue: Catalogue) -> None:
    assert find_region(catalogue, "US Gov Arizona").name == "usgovarizona"
    assert find_region(catalogue, "PHX").name == "usgovarizona"
    assert find_region(catalogue, "cnn3").name == "chinanorth3"


@pytest.mark.parametrize(
    ("query", "close"), [("westeurop", "westeurope"), ("west-europe", "westeurope")]
)
def test_unknown_region_names_close_matches(catalogue: Catalogue, query: str, close: str) -> None:
    with pytest.raises(UsageError) as caught:
        find_region(catalogue, query)
    message = str(caught.value)
    assert "\n" not in message
    assert f"unknown region {query!r}" in message
    assert close in message.split("did you mean", 1)[1].split("?", 1)[0]


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_region_is_not_a_region_without_code(catalogue: Catalogue, query: str) -> None:
    with pytest.raises(UsageError, match="unknown region"):
        find_region(catalogue, query)


def test_unknown_region_without_close_match_still_names_choices(catalogue: Catalogue) -> None:
    with pytest.raises(UsageError, match=r"netcheck regions") as caught:
        find_region(catalogue, "zzzzzzzz")
    assert "did you mean" not in str(caught.value)


# ---------------------------------------------------------------- GUIDs


def test_guid_is_canonicalised() -> None:
    assert parse_guid(W.upper(), "--workspace-id") == W
    assert parse_guid("{" + W + "}", "--workspace-id") == W
    assert parse_guid(None, "--workspace-id") is None


@pytest.mark.parametrize("value", ["not-a-guid", W[:-1], W + "0", "", "g" * 32])
def test_malformed_guid_is_a_usage_error_naming_the_option(value: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_guid(value, "--automation-account-id")
    message = str(caught.value)
    assert message.startswith("--automation-account-id: ")
    assert "is not a GUID" in message and "\n" not in message


# ---------------------------------------------------------------- skips and wildcards


def test_uncovered_wildcard_is_a_skipped_target_with_a_reason(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "westeurope", workspace_id=W)
    blob = found["*.blob.core.windows.net"]
    assert blob.covered_by == ()
    assert blob.skip_reason == "wildcard with no concrete host to probe under it"
    assert blob in probe_targets(found.values())


def test_covered_wildcard_names_its_hosts_and_is_not_probed(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "westeurope", workspace_id=W, update_management=True)
    ods = found["*.ods.opinsights.azure.com"]
    assert ods.covered_by == (f"{W}.ods.opinsights.azure.com",)
    assert ods.skip_reason is None
    automation = found["*.azure-automation.net"]
    assert set(automation.covered_by) >= {
        f"{W}.agentsvc.azure-automation.net",
        "we-jobruntimedata-prod-su1.azure-automation.net",
    }
    probed = probe_targets(found.values())
    assert ods not in probed and automation not in probed
    assert not any(t.covered_by for t in probed)
    assert found[f"{W}.ods.opinsights.azure.com"] in probed


def test_missing_workspace_is_a_skip_that_names_the_option(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "westeurope", update_management=True)
    skipped = found["<workspace-id>.agentsvc.azure-automation.net"]
    assert skipped.skip_reason == "needs --workspace-id"
    for host in (
        "<workspace-id>.ods.opinsights.azure.com",
        "<workspace-id>.oms.opinsights.azure.com",
    ):
        assert found[host].skip_reason == "needs --workspace-id"
    # a skipped host does not cover its wildcard
    assert found["*.ods.opinsights.azure.com"].covered_by == ()
    assert found["*.ods.opinsights.azure.com"].skip_reason is not None


def test_missing_account_is_a_skip_that_names_the_option(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "westeurope")
    jrds = next(t for t in found.values() if t.endpoint_ids == ("jrds-account",))
    assert jrds.host.startswith("<account-id>.jrds.we.")
    assert jrds.skip_reason == "needs --automation-account-id"


def test_region_with_null_code_skips_its_regional_records(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "canadaeast", account_id=A)
    regional = [t for t in found.values() if t.endpoint_ids[0].endswith("-account")]
    assert len(regional) == 3
    for target in regional:
        assert target.skip_reason is not None
        assert "no location code is published for canadaeast" in target.skip_reason
    # the cloud-wide endpoints are still probed
    assert found["canadaeast.management.azure.com"].skip_reason is None


def test_region_without_per_account_records_skips_them(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "switzerlandnorth", workspace_id=W, account_id=A)
    regional = [t for t in found.values() if t.endpoint_ids[0].endswith("-account")]
    assert regional and all(
        t.skip_reason == "region switzerlandnorth has no per-account records" for t in regional
    )
    legacy = found["stzn-agentservice-prod-su1.azure-automation.net"]
    assert legacy.skip_reason is None and legacy.doubtful


def test_legacy_record_a_region_never_had_is_not_required(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "francecentral", workspace_id=W)
    assert not any("jobruntimedata" in h or "agentservice-prod" in h for h in found)


# ---------------------------------------------------------------- clouds and doubtful regions


def test_usgov_uses_its_own_suffixes(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "usgovvirginia", workspace_id=W, account_id=A)
    for host in (
        f"{W}.agentsvc.azure-automation.us",
        "usge-jobruntimedata-prod-su1.azure-automation.us",
        "usge-agentservice-prod-1.azure-automation.us",
        f"{W}.ods.opinsights.azure.us",
        f"{A}.jrds.usge.azure-automation.us",
        "*.blob.core.usgovcloudapi.net",
    ):
        assert host in found
    public = (".azure-automation.net", ".opinsights.azure.com", ".blob.core.windows.net")
    assert not any(h.endswith(public) for h in found)
    assert "ods.systemcenteradvisor.com" not in found  # public cloud only


def test_china_uses_its_own_suffixes(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "chinaeast2", workspace_id=W, account_id=A)
    for host in (
        f"{W}.agentsvc.azure-automation.cn",
        "sha2-jobruntimedata-prod-su1.azure-automation.cn",
        f"{W}.oms.opinsights.azure.cn",
        f"{A}.agentsvc.sha2.azure-automation.cn",
        "chinaeast2.management.chinacloudapi.cn",
    ):
        assert host in found
    assert not any(h.endswith((".azure-automation.net", ".azure.com")) for h in found)
    assert "login.windows.net" not in found


def test_germany_west_central_probes_both_domains_and_doubts_only_de(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "germanywestcentral", account_id=A)
    for kind in ("jrds", "agentsvc", "webhook"):
        doubted = found[f"{A}.{kind}.dewc.azure-automation.de"]
        assert doubted.skip_reason is None
        assert doubted.doubtful and ".de" in doubted.doubtful
        # the .net twin is the likely real record: its failures must stay failures
        plain = found[f"{A}.{kind}.dewc.azure-automation.net"]
        assert plain.skip_reason is None and plain.doubtful is None
    # hosts that do not depend on the region's doubtful facts are not doubtful
    assert found["germanywestcentral.management.azure.com"].doubtful is None
    assert found["*.azure-automation.net"].covered_by


def test_a_doubtful_record_never_vouches_for_a_wildcard(catalogue: Catalogue) -> None:
    # China's per-account records may not exist at all (no Private Link there)
    found = targets_for(catalogue, "chinanorth3", account_id=A)
    assert found[f"{A}.jrds.cnn3.azure-automation.cn"].doubtful
    wildcard = found["*.azure-automation.cn"]
    assert not wildcard.covered_by
    assert wildcard.skip_reason


def test_switzerland_north_doubts_only_the_odd_agentservice_record(catalogue: Catalogue) -> None:
    found = targets_for(catalogue, "switzerlandnorth", workspace_id=W)
    assert found["stzn-agentservice-prod-su1.azure-automation.net"].doubtful
    assert found["stzn-jobruntimedata-prod-su1.azure-automation.net"].doubtful is None


def test_deployments_without_ids_cover_both_worker_types() -> None:
    assert deployments_for(None, None, False) == {Deployment.AGENT, Deployment.EXTENSION}
    assert deployments_for(W, None, True) == {Deployment.AGENT, Deployment.UPDATE_MANAGEMENT}
    assert deployments_for(None, A, False) == {Deployment.EXTENSION}
