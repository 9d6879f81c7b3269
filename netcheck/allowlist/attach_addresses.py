"""Gives entries addresses from service tags and DNS answers, merged per port and family (pure)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from netcheck.allowlist.ruleset import Entry, IPNetwork, LeftOut, RuleSet
from netcheck.allowlist.servicetags import TagFile, lookup_regional
from netcheck.errors import UsageError
from netcheck.models import DnsObservation, Outcome

RESOLVE_WARNING = (
    "ADDRESSES FROM DNS (--resolve): the answers this machine got when the rules were "
    "generated. Azure moves services between addresses without notice, so these rules WILL "
    "go stale; prefer --service-tags, and regenerate before every change window."
)


@dataclass(frozen=True)
class AddressGroup:
    """All addresses allowed on one port for one IP version, merged and sorted."""

    port: int
    version: int  # 4 or 6
    networks: tuple[IPNetwork, ...]


def attach(
    ruleset: RuleSet,
    tag_files: Sequence[TagFile],
    resolved: Mapping[str, DnsObservation] | None,
    region: str,
) -> RuleSet:
    """Each entry with the prefixes of its service tags and its DNS answers.

    A tag's regional twin for `region` (ARM name) is preferred where a file has one. A tag
    that no file holds in either form is a usage error: silently allowing less than the
    catalogue names would surface later as a broken worker.
    """
    missing: dict[str, list[str]] = {}
    used: dict[str, str] = {}  # tag -> the tag whose prefixes were used
    entries = []
    unaddressed = []
    for entry in ruleset.entries:
        found: list[IPNetwork] = []
        for tag in entry.target.service_tags if tag_files else ():
            chosen = lookup_regional(tag_files, tag, region)
            if chosen is None:
                missing.setdefault(tag, []).append(entry.host)
            else:
                used[tag] = chosen[0]
                found.extend(chosen[1])
        dns = resolved.get(entry.host) if resolved is not None else None
        if dns is not None and dns.outcome is Outcome.OK:
            found.extend(ipaddress.ip_network(a) for a in dns.addresses)
        entries.append(replace(entry, addresses=merge(found)))
        if not found:
            unaddressed.append(
                LeftOut(entry.host, entry.port, _why_no_address(entry, tag_files, dns))
            )
    if missing:
        names = ", ".join(f.name for f in tag_files)
        tag, hosts = sorted(missing.items())[0]
        more = f" (and {len(missing) - 1} more tags)" if len(missing) > 1 else ""
        raise UsageError(
            f"--service-tags: no tag {tag!r} (nor a regional {tag}.* for {region}){more} in "
            f"{names}; the catalogue names it for "
            f"{', '.join(hosts)}. Give the current file of the region's cloud (Public, "
            "AzureGovernment or China)"
        )
    notes = [f"Addresses of service tags from {f.describe()}." for f in tag_files]
    regional = sorted(v for k, v in used.items() if v != k)
    global_ = sorted(k for k, v in used.items() if v == k)
    if regional:
        notes.append(f"Regional tags, narrower than their global ones: {', '.join(regional)}.")
    if global_:
        notes.append(
            f"Global tags (no regional one in the file): {', '.join(global_)}; a global tag "
            "covers its service in every region."
        )
    if tag_files:
        notes.append("Service tag files change weekly: regenerate after each update.")
    if resolved is not None:
        notes.append(RESOLVE_WARNING)
    return replace(
        ruleset,
        entries=tuple(entries),
        address_notes=tuple(notes),
        unaddressed=tuple(unaddressed),
    )


def _why_no_address(entry: Entry, tag_files: Sequence[TagFile], dns: DnsObservation | None) -> str:
    tags = " and ".join(entry.target.service_tags)
    if entry.wildcard:
        hint = f"give --service-tags with {tags}" if tags else "the catalogue names no service tag"
        return f"a wildcard has no addresses of its own ({hint})"
    reasons = []
    if tags and not tag_files:
        reasons.append(f"--service-tags not given (tag {tags})")
    elif not tags:
        reasons.append("no service tag in the catalogue")
    if dns is None:
        reasons.append("--resolve not given")
    else:
        reasons.append(f"DNS answered {dns.outcome.value}")
    return "no addresses: " + "; ".join(reasons)


def merge(networks: Iterable[IPNetwork]) -> tuple[IPNetwork, ...]:
    """Overlapping and adjacent prefixes merged; IPv4 first, then IPv6, each ascending."""
    every = list(networks)
    v4 = [n for n in every if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in every if isinstance(n, ipaddress.IPv6Network)]
    return (*ipaddress.collapse_addresses(v4), *ipaddress.collapse_addresses(v6))


def groups(ruleset: RuleSet) -> list[AddressGroup]:
    """Addresses per port and IP version, ports ascending, IPv4 before IPv6; empty ones left out."""
    by_key: dict[tuple[int, int], list[IPNetwork]] = {}
    for entry in ruleset.entries:
        for network in entry.addresses:
            by_key.setdefault((entry.port, network.version), []).append(network)
    return [
        AddressGroup(port, version, merge(networks))
        for (port, version), networks in sorted(by_key.items())
    ]
