"""Reads Microsoft's service tag files (JSON) and the legacy datacenter IP file (XML) (pure).

The weekly `ServiceTags_Public_YYYYMMDD.json` (and its Government and China twins) looks like
`{"changeNumber": N, "cloud": "Public", "values": [{"name": "AzureMonitor", "id": ...,
"properties": {"region": "", "systemService": "AzureMonitor", "addressPrefixes": [...]}}]}`.
The legacy file `PublicIPs_YYYYMMDD.xml` has only datacenter ranges per region:
`<AzurePublicIpAddresses><Region Name="europewest"><IpRange Subnet="..."/></Region>...`.
"""

from __future__ import annotations

import ipaddress
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netcheck.allowlist.ruleset import IPNetwork
from netcheck.errors import UsageError

_EXPECTED = (
    "expected Microsoft's ServiceTags_*.json (Azure IP Ranges and Service Tags) or the legacy "
    "datacenter IP XML"
)


@dataclass(frozen=True)
class TagFile:
    """One file's address prefixes by service tag name (e.g. `AzureMonitor`, `Storage.WestEurope`)."""

    name: str
    cloud: str
    change_number: int | None
    tags: Mapping[str, tuple[IPNetwork, ...]]
    # The legacy XML knows no services: its datacenter ranges stand in for every tag.
    legacy: bool = False
    # A regional tag's region (ARM name, e.g. Storage.WestEurope -> westeurope); global tags
    # have none.
    regions: Mapping[str, str] = field(default_factory=dict)

    def regional(self, tag: str, region: str) -> str | None:
        """The name of `tag`'s regional tag for the region (ARM name), when the file has one."""
        if self.legacy:
            return None
        wanted = region.casefold()
        return next(
            (
                name
                for name, where in self.regions.items()
                if name.startswith(f"{tag}.") and where.casefold() == wanted
            ),
            None,
        )

    def prefixes(self, tag: str) -> tuple[IPNetwork, ...] | None:
        if self.legacy:
            return tuple(p for prefixes in self.tags.values() for p in prefixes)
        return self.tags.get(tag)

    def describe(self) -> str:
        if self.legacy:
            return (
                f"{self.name}, a legacy datacenter IP file: every Azure datacenter range stands "
                "in for each service tag, far wider than the services need"
            )
        return f"{self.name} (cloud {self.cloud}, changeNumber {self.change_number})"


def parse(name: str, text: str) -> TagFile:
    """A service tag file from its text; anything else is a usage error naming the file."""
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return _parse_xml(name, text)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--service-tags {name}: not JSON ({exc.msg} at line {exc.lineno}); {_EXPECTED}"
        ) from None
    return _parse_json(name, raw)


def lookup(files: Sequence[TagFile], tag: str) -> tuple[IPNetwork, ...] | None:
    """The prefixes of `tag` over all files, or None when no file has it."""
    found = [p for f in files if (p := f.prefixes(tag)) is not None]
    if not found:
        return None
    return tuple(prefix for prefixes in found for prefix in prefixes)


def lookup_regional(
    files: Sequence[TagFile], tag: str, region: str
) -> tuple[str, tuple[IPNetwork, ...]] | None:
    """The regional tag of `tag` for the region (e.g. Storage.WestEurope) where a file has one,
    else the global tag: (the tag used, its prefixes), or None when neither exists. A
    narrower allow list is a safer one."""
    regional = next((n for f in files if (n := f.regional(tag, region)) is not None), None)
    for name in (regional, tag):
        prefixes = lookup(files, name) if name is not None else None
        if name is not None and prefixes is not None:
            return name, prefixes
    return None


def _parse_json(name: str, raw: Any) -> TagFile:
    where = f"--service-tags {name}"
    if not isinstance(raw, dict) or not isinstance(raw.get("values"), list):
        raise UsageError(f"{where}: no 'values' list at the top level; {_EXPECTED}")
    change = raw.get("changeNumber")
    tags: dict[str, tuple[IPNetwork, ...]] = {}
    regions: dict[str, str] = {}
    for i, value in enumerate(raw["values"]):
        path = f"values[{i}]"
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            raise UsageError(f"{where}: {path}.name: missing; {_EXPECTED}")
        props = value.get("properties")
        prefixes = props.get("addressPrefixes") if isinstance(props, dict) else None
        if not isinstance(prefixes, list):
            raise UsageError(f"{where}: {path}.properties.addressPrefixes: must be a list")
        tags[value["name"]] = tuple(
            _network(p, f"{where}: {path}.properties.addressPrefixes[{j}]")
            for j, p in enumerate(prefixes)
        )
        region = props.get("region") if isinstance(props, dict) else None
        if isinstance(region, str) and region:
            regions[value["name"]] = region
    return TagFile(
        name=name,
        cloud=str(raw.get("cloud", "unknown")),
        change_number=change if isinstance(change, int) else None,
        tags=tags,
        regions=regions,
    )


def _parse_xml(name: str, text: str) -> TagFile:
    where = f"--service-tags {name}"
    # Microsoft's file has no DTD; refusing one keeps entity tricks out of the parser.
    if "<!DOCTYPE" in text.upper():
        raise UsageError(f"{where}: XML with a DOCTYPE is not accepted; {_EXPECTED}")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise UsageError(f"{where}: not well-formed XML ({exc}); {_EXPECTED}") from None
    tags: dict[str, tuple[IPNetwork, ...]] = {}
    for region in root.iter():
        if _local(region.tag) != "Region":
            continue
        label = region.get("Name") or f"region {len(tags) + 1}"
        tags[label] = tuple(
            _network(r.get("Subnet"), f"{where}: Region {label!r}: IpRange")
            for r in region
            if _local(r.tag) == "IpRange"
        )
    if not any(tags.values()):
        raise UsageError(f"{where}: no <Region> with <IpRange Subnet=...> elements; {_EXPECTED}")
    return TagFile(name=name, cloud="legacy", change_number=None, tags=tags, legacy=True)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _network(value: object, where: str) -> IPNetwork:
    if not isinstance(value, str):
        raise UsageError(f"{where}: {value!r} is not an address prefix (e.g. 13.66.0.0/17)")
    try:
        # strict: a prefix with host bits set means a damaged file, not a wider range to allow
        return ipaddress.ip_network(value.strip())
    except ValueError:
        raise UsageError(
            f"{where}: {value!r} is not an address prefix (e.g. 13.66.0.0/17)"
        ) from None
