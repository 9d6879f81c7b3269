"""The JSON outputs against their documented structure (docs/rules.md)."""

from __future__ import annotations

import json
import re
from typing import Any

from .support import ACCOUNT, FULL, TAGS, WORKSPACE, Netcheck

# Azure's rule and collection names: letters, digits, '_', '.', '-'; at most 80; no '_' first;
# no '.' or '-' last.
AZURE_NAME = re.compile(r"^[^_\W][\w.-]{0,79}(?<![-.])$")


def _json(netcheck: Netcheck, *args: str) -> Any:
    return json.loads(netcheck.rules(*FULL, *args))


def test_json_document(netcheck: Netcheck) -> None:
    document = _json(netcheck, "--format", "json")
    assert list(document) == [
        "schema",
        "tool",
        "catalogue",
        "options",
        "address_notes",
        "not_covered",
        "entries",
    ]
    assert document["schema"] == "netcheck.rules/1"
    assert document["tool"] == {"name": "netcheck", "version": "0.0.0-test"}
    assert document["catalogue"] == {
        "path": "tests/unit/data/rules-catalogue.yaml",
        "date": "2025-06-30",
    }
    assert document["options"]["--workspace-id"] == WORKSPACE
    assert document["options"]["deployments"] == "agent, extension, revocation"
    assert document["address_notes"] == []
    assert all(isinstance(line, str) for line in document["not_covered"])


def test_json_entries(netcheck: Netcheck) -> None:
    entries = _json(netcheck, "--format", "json")["entries"]
    types = {
        "host": str,
        "port": int,
        "wildcard": bool,
        "under": (str, type(None)),
        "purpose": str,
        "deployments": list,
        "bypass_inspection": bool,
        "service_tags": list,
        "endpoints": list,
        "doubtful": (str, type(None)),
        "source": str,
        "addresses": list,
    }
    for entry in entries:
        assert list(entry) == list(types)
        for key, kind in types.items():
            assert isinstance(entry[key], kind), (key, entry)
    by_host = {e["host"]: e for e in entries}
    assert by_host["*.azure-automation.net"]["wildcard"] is True
    jrds = by_host[f"{ACCOUNT}.jrds.tr.azure-automation.net"]
    assert jrds["under"] == "*.azure-automation.net"
    assert jrds["bypass_inspection"] is True
    assert jrds["service_tags"] == ["GuestAndHybridManagement"]
    assert jrds["endpoints"] == ["jrds-account"]
    ocsp = by_host["ocsp.digicert.com"]
    assert (ocsp["port"], ocsp["deployments"]) == (80, ["revocation"])
    assert [e["host"] for e in entries if not e["wildcard"]] == sorted(
        e["host"] for e in entries if not e["wildcard"]
    )


def test_azure_firewall_template(netcheck: Netcheck) -> None:
    template = _json(netcheck, "--format", "azure-firewall")
    assert template["$schema"].endswith("/deploymentTemplate.json#")
    assert set(template["parameters"]) == {"firewallPolicyName", "sourceAddresses", "priority"}
    assert template["metadata"]["generator"] == "netcheck 0.0.0-test"
    assert template["metadata"]["catalogue"]["date"] == "2025-06-30"
    assert template["metadata"]["options"]["--format"] == "azure-firewall"
    assert template["metadata"]["notCovered"] == []  # every ID given, revocation included
    (group,) = template["resources"]
    assert group["type"] == "Microsoft.Network/firewallPolicies/ruleCollectionGroups"
    assert group["name"].startswith("[format(")
    fqdns, tags = group["properties"]["ruleCollections"]
    for collection in (fqdns, tags):
        assert collection["ruleCollectionType"] == "FirewallPolicyFilterRuleCollection"
        assert collection["action"] == {"type": "Allow"}
        names = [r["name"] for r in collection["rules"]]
        assert len(names) == len(set(names))
        assert all(AZURE_NAME.match(n) for n in names), names
        assert all(
            r["sourceAddresses"] == "[parameters('sourceAddresses')]" for r in collection["rules"]
        )

    app = {r["targetFqdns"][0]: r for r in fqdns["rules"]}
    assert all(r["ruleType"] == "ApplicationRule" for r in fqdns["rules"])
    assert app["*.azure-automation.net"]["protocols"] == [{"protocolType": "Https", "port": 443}]
    assert app["ocsp.digicert.com"]["protocols"] == [{"protocolType": "Http", "port": 80}]
    # allowed by the wildcard already
    assert f"{ACCOUNT}.jrds.tr.azure-automation.net" not in app

    network = {r["destinationAddresses"][0]: r for r in tags["rules"]}
    assert set(network) == {"AzureActiveDirectory", "AzureMonitor", "GuestAndHybridManagement"}
    assert network["AzureMonitor"]["destinationPorts"] == ["443"]
    assert network["AzureMonitor"]["ipProtocols"] == ["TCP"]


def test_azure_firewall_names_stay_valid_for_long_hosts() -> None:
    from netcheck.allowlist.azure import rule_name

    long_host = "a" * 63 + "." + "b" * 40 + ".example"
    name = rule_name(long_host, "443")
    assert len(name) == 80 and AZURE_NAME.match(name)
    assert name != rule_name(long_host, "80")
    assert rule_name("*.x.example", "443") == "wildcard.x.example-443"


def test_json_with_tags_has_address_notes(netcheck: Netcheck) -> None:
    document = _json(netcheck, "--format", "json", "--service-tags", TAGS)
    assert any("changeNumber 321" in n for n in document["address_notes"])
