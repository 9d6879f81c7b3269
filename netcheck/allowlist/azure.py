"""Azure's own devices: Azure Firewall policy rules (ARM/Bicep template, az CLI) and NSG rules (pure)."""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from netcheck.allowlist.ruleset import (
    RuleSet,
    commented,
    header_lines,
    minimal,
    not_covered,
)

API_VERSION = "2023-09-01"
GROUP = "netcheck-hybrid-worker"
FQDN_COLLECTION = "hybrid-worker-fqdns"
TAG_COLLECTION = "hybrid-worker-service-tags"
_NAME_LIMIT = 80  # Azure Firewall and NSG rule names: at most 80 characters


@dataclass(frozen=True)
class AppRule:
    name: str
    description: str
    protocol: str  # "Https" or "Http", as Azure Firewall spells them
    port: int
    fqdn: str


@dataclass(frozen=True)
class TagRule:
    name: str
    description: str
    tag: str
    port: int


def rule_name(*parts: str) -> str:
    """A valid, stable rule name; an over-long one keeps a hash of the whole to stay unique."""
    name = "-".join(parts).replace("*", "wildcard")
    if len(name) <= _NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _NAME_LIMIT - 9]}-{digest}"


def app_rules(ruleset: RuleSet) -> list[AppRule]:
    """One application rule per destination a wildcard does not already allow."""
    return [
        AppRule(
            name=rule_name(e.host, str(e.port)),
            description=e.target.purpose,
            protocol="Https" if e.target.scheme == "https" else "Http",
            port=e.port,
            fqdn=e.host,
        )
        for e in minimal(ruleset.entries)
    ]


def tag_rules(ruleset: RuleSet) -> list[TagRule]:
    """One network rule per service tag and port the catalogue names, in name order."""
    wanted = {(tag, e.port) for e in ruleset.entries for tag in e.target.service_tags}
    return [
        TagRule(
            name=rule_name("netcheck-hrw", tag, str(port)),
            description=f"netcheck rules: service tag {tag}, TCP {port}, for the Hybrid Runbook "
            "Worker",
            tag=tag,
            port=port,
        )
        for tag, port in sorted(wanted)
    ]


def untagged(ruleset: RuleSet) -> list[str]:
    """Caveats for tag-only devices: destinations no service tag covers."""
    return [
        f"{e.host}:{e.port}: no service tag in the catalogue; an NSG cannot allow a host name "
        "(use Azure Firewall application rules or a proxy)"
        for e in ruleset.entries
        if not e.target.service_tags
    ]


# ---------------------------------------------------------------- ARM template


def render_firewall_template(ruleset: RuleSet) -> str:
    """An ARM template (deployable as is, or as a Bicep module) of one rule collection group."""
    source = "[parameters('sourceAddresses')]"
    collections = [
        {
            "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
            "name": FQDN_COLLECTION,
            "priority": 100,
            "action": {"type": "Allow"},
            "rules": [
                {
                    "ruleType": "ApplicationRule",
                    "name": r.name,
                    "description": r.description,
                    "sourceAddresses": source,
                    "protocols": [{"protocolType": r.protocol, "port": r.port}],
                    "targetFqdns": [r.fqdn],
                }
                for r in app_rules(ruleset)
            ],
        }
    ]
    network = tag_rules(ruleset)
    if network:
        collections.append(
            {
                "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                "name": TAG_COLLECTION,
                "priority": 200,
                "action": {"type": "Allow"},
                "rules": [
                    {
                        "ruleType": "NetworkRule",
                        "name": r.name,
                        "description": r.description,
                        "ipProtocols": ["TCP"],
                        "sourceAddresses": source,
                        "destinationAddresses": [r.tag],
                        "destinationPorts": [str(r.port)],
                    }
                    for r in network
                ],
            }
        )
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {
            "generator": f"netcheck {ruleset.tool_version}",
            "description": "The destinations an Azure Automation Hybrid Runbook Worker needs, "
            "from `netcheck rules`.",
            "catalogue": {"path": ruleset.catalogue_path, "date": ruleset.catalogue_date},
            "options": dict(ruleset.options),
            "notCovered": not_covered(ruleset),
        },
        "parameters": {
            "firewallPolicyName": {
                "type": "string",
                "metadata": {"description": "The Azure Firewall policy that gets these rules."},
            },
            "sourceAddresses": {
                "type": "array",
                "defaultValue": ["*"],
                "metadata": {"description": "The workers' addresses or subnets."},
            },
            "priority": {
                "type": "int",
                "defaultValue": 500,
                "metadata": {"description": "Priority of the rule collection group (100-65000)."},
            },
        },
        "resources": [
            {
                "type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
                "apiVersion": API_VERSION,
                "name": f"[format('{{0}}/{{1}}', parameters('firewallPolicyName'), '{GROUP}')]",
                "properties": {
                    "priority": "[parameters('priority')]",
                    "ruleCollections": collections,
                },
            }
        ],
    }
    return json.dumps(template, indent=2) + "\n"


# ---------------------------------------------------------------- az CLI scripts


def _az(command: str, options: Sequence[tuple[str, str]]) -> str:
    """One az command, an option per line; values are already shell words."""
    lines = [f"az {command}", *(f"  {flag} {value}" for flag, value in options)]
    return " \\\n".join(lines) + "\n"


def _script(lines: list[str], variables: list[str]) -> str:
    return (
        "#!/usr/bin/env bash\n"
        + commented(lines, "# ")
        + "set -euo pipefail\n"
        + "".join(f"{v}\n" for v in variables)
    )


_FIREWALL_TARGET = [
    ("--resource-group", '"$RESOURCE_GROUP"'),
    ("--policy-name", '"$POLICY"'),
    ("--rule-collection-group-name", '"$GROUP"'),
]


def render_firewall_cli(ruleset: RuleSet) -> str:
    """The same rule collection group as az CLI commands (bash)."""
    q = shlex.quote
    out = _script(
        header_lines(ruleset),
        [
            ': "${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group of the firewall policy}"',
            ': "${POLICY:?set POLICY to the name of the Azure Firewall policy}"',
            'SOURCE="${SOURCE:-*}"  # the workers\' subnet, e.g. 10.1.2.0/24; * allows any source',
            'PRIORITY="${PRIORITY:-500}"  # of the rule collection group, 100-65000',
            f"GROUP={GROUP}",
        ],
    )
    out += "\n" + _az(
        "network firewall policy rule-collection-group create",
        [
            ("--resource-group", '"$RESOURCE_GROUP"'),
            ("--policy-name", '"$POLICY"'),
            ("--name", '"$GROUP"'),
            ("--priority", '"$PRIORITY"'),
        ],
    )
    for collection, priority, rules in (
        (FQDN_COLLECTION, 100, [_rule_options(r) for r in app_rules(ruleset)]),
        (TAG_COLLECTION, 200, [_rule_options(r) for r in tag_rules(ruleset)]),
    ):
        for i, (name, options) in enumerate(rules):
            if i == 0:
                head = [
                    ("--name", q(collection)),
                    ("--collection-priority", str(priority)),
                    ("--action", "Allow"),
                    ("--rule-name", q(name)),
                ]
                command = (
                    "network firewall policy rule-collection-group collection add-filter-collection"
                )
            else:
                head = [("--collection-name", q(collection)), ("--name", q(name))]
                command = "network firewall policy rule-collection-group collection rule add"
            out += "\n" + _az(command, [*_FIREWALL_TARGET, *head, *options])
    return out


def _rule_options(rule: AppRule | TagRule) -> tuple[str, list[tuple[str, str]]]:
    """A rule's az options: what both kinds of rule say, then what only its kind says."""
    q = shlex.quote
    if isinstance(rule, AppRule):
        kind = "ApplicationRule"
        own = [("--protocols", f"{rule.protocol}={rule.port}"), ("--target-fqdns", q(rule.fqdn))]
    else:
        kind = "NetworkRule"
        own = [
            ("--ip-protocols", "TCP"),
            ("--destination-addresses", q(rule.tag)),
            ("--destination-ports", str(rule.port)),
        ]
    return rule.name, [
        ("--rule-type", kind),
        ("--description", q(rule.description)),
        ("--source-addresses", '"$SOURCE"'),
        *own,
    ]


def render_nsg(ruleset: RuleSet) -> str:
    """Outbound NSG rules by service tag, as az CLI commands (bash)."""
    q = shlex.quote
    out = _script(
        header_lines(
            ruleset,
            untagged(ruleset),
            [
                "A service tag covers its whole service in every region: wider than the worker needs."
            ],
        ),
        [
            ': "${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group of the NSG}"',
            ': "${NSG:?set NSG to the network security group of the workers}"',
            'PRIORITY="${PRIORITY:-1000}"  # of the first rule; each next rule takes the next number',
        ],
    )
    for i, rule in enumerate(tag_rules(ruleset)):
        out += "\n" + _az(
            "network nsg rule create",
            [
                ("--resource-group", '"$RESOURCE_GROUP"'),
                ("--nsg-name", '"$NSG"'),
                ("--name", q(rule.name)),
                ("--priority", f'"$((PRIORITY + {i}))"'),
                ("--direction", "Outbound"),
                ("--access", "Allow"),
                ("--protocol", "Tcp"),
                ("--source-address-prefixes", "VirtualNetwork"),
                ("--source-port-ranges", "'*'"),
                ("--destination-address-prefixes", q(rule.tag)),
                ("--destination-port-ranges", str(rule.port)),
                ("--description", q(rule.description)),
            ],
        )
    return out
