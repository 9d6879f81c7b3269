"""Writes the catalogues the end-to-end tests pass with --catalogue (schema: docs/catalogue.md)."""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from tests.world.pki import Issued
from tests.world.scenarios import Scenario

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "data" / "regions.yaml"
SOURCE = "netcheck test world (minted on the fly)"
TEST_REGION = "testland"
TEST_CODE = "tl"


def authority_entries(authorities: Iterable[Issued]) -> list[dict[str, Any]]:
    """Catalogue entries for minted CAs, with their real (test) thumbprints."""
    return [
        {
            "name": ca.common_name,
            "sha1": ca.sha1,
            "role": "intermediate" if ca.parents else "root",
            "status": "current",
            "issuer": ca.parents[0].common_name if ca.parents else ca.common_name,
            "serial": format(ca.cert.serial_number, "x"),
            "source": SOURCE,
        }
        for ca in authorities
    ]


def load_shipped() -> dict[str, Any]:
    if not SHIPPED.exists():
        raise FileNotFoundError(f"the shipped catalogue {SHIPPED} does not exist (yet)")
    data: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return data


def write_shipped_with(path: Path, authorities: Iterable[Issued]) -> Path:
    """The shipped catalogue, with the minted Microsoft CAs counted as Microsoft's."""
    data = load_shipped()
    data["certificate_authorities"] = [
        *data["certificate_authorities"],
        *authority_entries(authorities),
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def one_region_catalogue(
    *,
    region: str,
    display_name: str,
    code: str,
    cloud_name: str,
    endpoints: list[dict[str, Any]],
    authorities: Iterable[Issued],
    source: str,
) -> dict[str, Any]:
    """A catalogue document with one public-cloud region and the given endpoints, whose CAs
    are the minted ones: the shape both the test world and the benchmark generate."""
    return {
        "schema": 1,
        "date": "2025-01-01",
        "clouds": {
            "public": {
                "display_name": cloud_name,
                "suffixes": {"automation": "azure-automation.net"},
            },
        },
        "regions": [
            {
                "name": region,
                "display_name": display_name,
                "code": code,
                "cloud": "public",
                "account_domains": ["azure-automation.net"],
                "legacy_jrds": None,
                "legacy_agentservice": None,
                "original_2018": False,
                "doubtful": None,
                "source": source,
            }
        ],
        "endpoints": [{**e, "bypass_inspection": True, "source": source} for e in endpoints],
        "certificate_authorities": authority_entries(authorities),
    }


def write_scenarios(
    path: Path, scenarios: Sequence[Scenario], authorities: Iterable[Issued]
) -> Path:
    """A one-region catalogue ("testland", code tl) with one endpoint per scenario."""
    data = one_region_catalogue(
        region=TEST_REGION,
        display_name="Testland",
        code=TEST_CODE,
        cloud_name="Test public cloud",
        endpoints=[
            {
                "id": f"scenario-{s.label}",
                "pattern": s.pattern,
                "port": s.port,
                "purpose": f"test scenario: {s.why}",
                "deployments": ["revocation" if s.port == 80 else "agent"],
            }
            for s in scenarios
        ],
        authorities=authorities,
        source=SOURCE,
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def concrete_hosts(
    catalogue: dict[str, Any], region_name: str, workspace_id: str
) -> list[tuple[str, int]]:
    """Every concrete (host, port) the catalogue yields for one region and workspace.

    Wildcards and hosts needing an automation account ID are left out: the world resolves
    exactly these names (anything else is NXDOMAIN, as a canary expects) and the healthy
    certificate names the HTTPS ones.
    """
    region = next(r for r in catalogue["regions"] if r["name"] == region_name)
    cloud = region["cloud"]
    fixed = {
        **catalogue["clouds"][cloud]["suffixes"],
        "region": region["name"],
        "code": region["code"],
        "legacy_jrds": region["legacy_jrds"],
        "legacy_agentservice": region["legacy_agentservice"],
        "workspace_id": workspace_id,
        "account_id": None,
    }
    hosts: set[tuple[str, int]] = set()
    for endpoint in catalogue["endpoints"]:
        if cloud not in endpoint.get("clouds", [cloud]) or endpoint["pattern"].startswith("*."):
            continue
        wanted = [n for _, n, _, _ in string.Formatter().parse(endpoint["pattern"]) if n]
        domains = region["account_domains"] if "account_domain" in wanted else [None]
        for domain in domains:
            values = {**fixed, "account_domain": domain}
            if all(values.get(n) is not None for n in wanted):
                host = endpoint["pattern"].format(**{n: values[n] for n in wanted})
                hosts.add((host.lower(), endpoint["port"]))
    return sorted(hosts)
