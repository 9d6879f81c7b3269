"""--all-regions: every region of the catalogue in one check, each host probed once."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from netcheck.expand import Selection, deployments_for, expand, selected_regions
from netcheck.models import Catalogue, Target

from .conftest import Netcheck

W = "1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"
A = "4f3e2d1c-0b9a-8765-4321-0fedcba98765"


def selection(catalogue: Catalogue, all_regions: bool) -> Selection:
    return Selection(
        region=catalogue.regions[0],
        deployments=deployments_for(W, A, True, include_revocation=True),
        workspace_id=W,
        account_id=A,
        all_regions=all_regions,
    )


def keys(targets: list[Target]) -> list[tuple[str, int]]:
    return [(t.host, t.port) for t in targets]


def test_selected_regions(catalogue: Catalogue) -> None:
    assert selected_regions(catalogue, selection(catalogue, False)) == (catalogue.regions[0],)
    assert selected_regions(catalogue, selection(catalogue, True)) == catalogue.regions


def test_every_region_once_and_every_host_once(catalogue: Catalogue) -> None:
    every = expand(catalogue, selection(catalogue, True))
    assert len(keys(every)) == len(set(keys(every))), "a host two regions need is one target"
    concrete = {k for k in keys(every) if not k[0].startswith("*.")}
    for region in catalogue.regions:
        one = expand(catalogue, replace(selection(catalogue, False), region=region))
        assert {k for k in keys(one) if not k[0].startswith("*.")} <= concrete, region.name
    # regional hosts of all three clouds, and the global ones
    hosts = {host for host, _ in concrete}
    assert "we-jobruntimedata-prod-su1.azure-automation.net" in hosts
    assert f"{A}.jrds.usge.azure-automation.us" in hosts
    assert f"{W}.agentsvc.azure-automation.cn" in hosts
    assert "login.microsoftonline.com" in hosts


def test_a_shared_host_merges_what_each_region_needs(catalogue: Catalogue) -> None:
    every = {t.host: t for t in expand(catalogue, selection(catalogue, True))}
    agentsvc = every[f"{W}.agentsvc.azure-automation.net"]
    assert agentsvc.endpoint_ids == ("agentsvc-workspace",), "merged, not repeated per region"


def test_a_host_every_region_needs_names_each_source_and_purpose_once(
    catalogue: Catalogue,
) -> None:
    """Some sources cite two documents ("...; ..."): before, every region added them again."""
    one = expand(catalogue, replace(selection(catalogue, False), region=catalogue.regions[0]))
    alone_by_key = {(t.host, t.port): t for t in one if not t.host.startswith("*.")}
    for target in expand(catalogue, selection(catalogue, True)):
        alone = alone_by_key.get((target.host, target.port))
        if alone is not None:
            assert target.source == alone.source, target.host
            assert target.purpose == alone.purpose, target.host


def test_wildcards_are_covered_by_hosts_of_their_own_cloud(catalogue: Catalogue) -> None:
    every = {t.host: t for t in expand(catalogue, selection(catalogue, True))}
    for suffix in ("azure-automation.net", "azure-automation.us", "azure-automation.cn"):
        wildcard = every[f"*.{suffix}"]
        assert wildcard.covered_by, suffix
        assert all(h.endswith(f".{suffix}") for h in wildcard.covered_by)


# ---------------------------------------------------------------- the command line

TWO_REGIONS = """\
schema: 1
date: "2026-01-01"
clouds:
  lab:
    display_name: Loopback lab
    suffixes:
      automation: automation.lab.test
regions:
  - name: north
    display_name: North
    code: nr
    cloud: lab
    account_domains: []
    legacy_jrds: north-jobruntimedata.automation.lab.test
    legacy_agentservice: null
    original_2018: false
    doubtful: null
    source: unit test
  - name: south
    display_name: South
    code: sr
    cloud: lab
    account_domains: []
    legacy_jrds: south-jobruntimedata.automation.lab.test
    legacy_agentservice: null
    original_2018: false
    doubtful: null
    source: unit test
endpoints:
  - id: global
    pattern: "global.{automation}"
    port: 443
    purpose: a host every region needs
    deployments: [agent]
    bypass_inspection: true
    source: unit test
  - id: jrds-legacy
    pattern: "{legacy_jrds}"
    port: 443
    purpose: job runtime data
    deployments: [agent]
    bypass_inspection: true
    source: unit test
certificate_authorities: []
"""


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    path = tmp_path / "two-regions.yaml"
    path.write_text(TWO_REGIONS, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--all-regions", "--region", "north"], "--region or --all-regions, not both"),
        (["check"], "missing --region"),
        (["endpoints"], "missing --region"),
    ],
)
def test_region_or_all_regions_is_one_usage_error(
    netcheck: Netcheck, lab: Path, args: list[str], message: str
) -> None:
    run = netcheck(*args, "--catalogue", str(lab))
    assert run.code == 2
    assert run.out == ""
    assert len(run.err.splitlines()) == 1
    assert message in run.err


def test_check_all_regions_probes_each_host_once(
    netcheck: Netcheck, lab: Path, closed_port: int
) -> None:
    run = netcheck(
        "check",
        "--all-regions",
        "--catalogue", str(lab),
        "--proxy", f"http://127.0.0.1:{closed_port}",
        "--dns-server", "127.0.0.1",
        "--timeout", "0.3",
        "--format", "json",
    )  # fmt: skip
    report = json.loads(run.out)
    assert run.code == 1, run.err  # the proxy refuses: findings, not a usage error
    assert report["options"]["region"] == "all"
    hosts = sorted(t["host"] for t in report["targets"])
    assert hosts == [
        "global.automation.lab.test",
        "north-jobruntimedata.automation.lab.test",
        "south-jobruntimedata.automation.lab.test",
    ]
