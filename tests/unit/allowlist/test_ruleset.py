"""The rule set: the same targets `check` expands, wildcards kept, gaps named (pure)."""

from __future__ import annotations

import pytest

from netcheck.allowlist.ruleset import RuleSet, build, header_lines, minimal, not_covered
from netcheck.expand import Selection, deployments_for, expand, find_region
from netcheck.models import Catalogue, Deployment, Region, Target

WORKSPACE = "11111111-2222-3333-4444-555555555555"


def _rules(catalogue: Catalogue, **choices: object) -> RuleSet:
    workspace = choices.get("workspace_id")
    selection = Selection(
        region=find_region(catalogue, "westeurope"),
        deployments=deployments_for(
            workspace,  # type: ignore[arg-type]
            None,
            bool(choices.get("update_management")),
            bool(choices.get("include_revocation")),
        ),
        workspace_id=workspace,  # type: ignore[arg-type]
    )
    return build(catalogue, selection, expand(catalogue, selection), "1.2.3", "list")


def _target(host: str, port: int = 443, **changes: object) -> Target:
    fields: dict[str, object] = {
        "host": host,
        "port": port,
        "endpoint_ids": (host,),
        "purpose": f"purpose of {host}",
        "deployments": frozenset({Deployment.AGENT}),
        "bypass_inspection": False,
        "source": "test",
    }
    fields.update(changes)
    return Target(**fields)  # type: ignore[arg-type]


def test_wildcards_are_rules_even_when_check_cannot_probe_them(catalogue: Catalogue) -> None:
    rules = _rules(catalogue)
    hosts = [e.host for e in rules.entries]
    # no concrete host falls under these: `check` skips them, the rules must not
    assert "*.blob.core.windows.net" in hosts
    assert "*.ods.opinsights.azure.com" in hosts


def test_entries_follow_the_targets_of_check(catalogue: Catalogue) -> None:
    rules = _rules(catalogue, workspace_id=WORKSPACE, update_management=True)
    selection = Selection(
        find_region(catalogue, "westeurope"),
        deployments_for(WORKSPACE, None, True),
        WORKSPACE,
    )
    targets = expand(catalogue, selection)
    assert [e.target for e in rules.entries] == [t for t in targets if "<" not in t.host]


def test_placeholder_hosts_are_left_out_with_the_option_they_need(catalogue: Catalogue) -> None:
    rules = _rules(catalogue)
    lines = [x.line() for x in rules.left_out]
    assert (
        "<workspace-id>.agentsvc.azure-automation.net:443: needs --workspace-id; "
        "allowed anyway by *.azure-automation.net"
    ) in lines
    assert all("<" in x.host for x in rules.left_out)


def test_concrete_hosts_know_the_wildcard_that_allows_them(catalogue: Catalogue) -> None:
    rules = _rules(catalogue, workspace_id=WORKSPACE)
    under = {e.host: e.under for e in rules.entries}
    assert under["we-jobruntimedata-prod-su1.azure-automation.net"] == "*.azure-automation.net"
    assert under[f"{WORKSPACE}.ods.opinsights.azure.com"] == "*.ods.opinsights.azure.com"
    assert under["*.azure-automation.net"] is None


def test_revocation_hosts_come_only_when_asked_for(catalogue: Catalogue) -> None:
    without = _rules(catalogue)
    assert not any(e.revocation for e in without.entries)
    assert any("--include-revocation" in line for line in not_covered(without))
    with_them = _rules(catalogue, include_revocation=True)
    revocation = [e for e in with_them.entries if e.revocation]
    assert revocation and all(e.port == 80 for e in revocation)
    assert not any("--include-revocation" in line for line in not_covered(with_them))


REGION = Region("r", "R", "r", "public", (), None, None, False, None, "test")


def _ruleset(*targets: Target) -> RuleSet:
    """The rule set of hand-made targets, as `expand` might have produced them."""
    catalogue = Catalogue("c.yaml", "2025-01-01", {}, (REGION,), (), ())
    selection = Selection(REGION, frozenset({Deployment.AGENT, Deployment.REVOCATION}))
    return build(catalogue, selection, targets, "1", "list")


def test_a_wildcard_inside_a_wildcard_is_folded_into_the_broader_one() -> None:
    rules = _ruleset(
        _target("a.x.example"),
        _target("*.x.example"),
        _target("*.example"),
        _target("b.example", port=80),
    )
    under = {e.host: e.under for e in rules.entries}
    assert under == {
        "a.x.example": "*.example",
        "*.x.example": "*.example",
        "*.example": None,
        "b.example": None,  # another port: the 443 wildcard does not allow it
    }
    assert [e.host for e in minimal(rules.entries)] == ["*.example", "b.example"]


def test_minimal_keeps_a_host_whose_wildcard_is_not_in_the_same_list() -> None:
    rules = _ruleset(
        _target("a.example", bypass_inspection=True), _target("*.example", bypass_inspection=False)
    )
    flagged = [e for e in rules.entries if e.target.bypass_inspection]
    assert [e.host for e in minimal(flagged)] == ["a.example"]


def test_header_is_wrapped_and_names_doubtful_entries() -> None:
    doubtful = _target("odd.example", doubtful="the published record looks wrong " * 4)
    rules = _ruleset(doubtful)
    lines = header_lines(rules, caveats=["one thing " * 20])
    assert all(len(line) <= 96 for line in lines)
    text = "\n".join(lines)
    assert "Doubtful entries" in text and "odd.example: the published record" in text
    assert "Not covered by these rules:" in text
    assert "Only outbound TCP" in text


@pytest.mark.parametrize("region", ["usgovvirginia", "chinanorth3", "newzealandnorth"])
def test_every_cloud_builds(catalogue: Catalogue, region: str) -> None:
    selection = Selection(find_region(catalogue, region), deployments_for(None, None, True, True))
    rules = build(catalogue, selection, expand(catalogue, selection), "1", "list")
    assert rules.entries
    assert all("<" not in e.host for e in rules.entries)
