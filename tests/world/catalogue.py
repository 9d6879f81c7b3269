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
    data["certificate_authorities"] = [*data["certificate_authorities"],
                                       *authority_entries(authorities)]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def write_scenarios(path: Path, scenarios: Sequence[Scenario],
                    authorities: Iterable[Issued]) -> Path:
    """A one-region catalogue ("testland", code tl) with one endpoint per scenario."""
    data = {
        "schema": 1,
        "date": "2025-01-01",
        "clouds": {
            "public": {"display_name": "Test public cloud",
                       "suffixes": {"automation": "azure-automation.net"}},
        },
        "regions": [{
            "name": TEST_REGION,
            "display_name": "Testland",
            "code": TEST_CODE,
            "cloud": "public",
            "account_domains": ["azure-automation.net"],
            "legacy_jrds": None,
            "legacy_agentservice": None,
            "original_2018": False,
            "doubtful": None,
            "source": SOURCE,
        }],
        "endpoints": [
            {
                "id": f"scenario-{s.label}",
                "pattern": s.host,
                "port": 443,
                "purpose": f"test scenario: {s.why}",
                "deployments": ["agent"],
                "bypass_inspection": True,
                "source": SOURCE,
            }
            for s in scenarios
        ],
        "certificate_authorities": authority_entries(authorities),
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def certificate_names(catalogue: dict[str, Any], regions: Sequence[str]) -> list[str]:
    """DNS names (wildcards for the ID placeholders) covering every HTTPS host of `regions`.

    The healthy TLS server presents them for any name it has no scenario for, so the shipped
    catalogue's hosts all get a matching, Microsoft-chained certificate.
    """
    names: set[str] = set()
    clouds = catalogue["clouds"]
    for region in catalogue["regions"]:
        if region["name"] not in regions:
            continue
        cloud = region["cloud"]
        fixed = {**clouds[cloud]["suffixes"], "region": region["name"], "code": region["code"],
                 "legacy_jrds": region["legacy_jrds"],
                 "legacy_agentservice": region["legacy_agentservice"],
                 "workspace_id": "*", "account_id": "*"}
        for endpoint in catalogue["endpoints"]:
            if endpoint["port"] != 443 or cloud not in endpoint.get("clouds", [cloud]):
                continue
            wanted = [n for _, n, _, _ in string.Formatter().parse(endpoint["pattern"]) if n]
            domains = region["account_domains"] if "account_domain" in wanted else [None]
            for domain in domains:
                values = {**fixed, "account_domain": domain}
                if any(values.get(n) is None for n in wanted):
                    continue
                host = endpoint["pattern"].format(**{n: values[n] for n in wanted}).lower()
                if "*" not in host.partition(".")[2]:
                    names.add(host)
    return sorted(names)
