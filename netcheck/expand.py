"""Turns the catalogue plus region, workspace and account into concrete targets (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace

from netcheck.catalogue import placeholders
from netcheck.errors import UsageError
from netcheck.models import Catalogue, Deployment, Endpoint, Region, Target

# Placeholders whose value belongs to one region: a doubtful region taints hosts built from them.
_REGIONAL = frozenset({"code", "account_domain", "legacy_jrds", "legacy_agentservice"})
_NEEDS_OPTION = {"workspace_id": "--workspace-id", "account_id": "--automation-account-id"}


@dataclass(frozen=True)
class Selection:
    """What the user asked for: one region (or all), optional IDs, and the deployments."""

    region: Region
    deployments: frozenset[Deployment]
    workspace_id: str | None = None
    account_id: str | None = None
    # --all-regions: every region of the catalogue, `region` being merely the first of them.
    all_regions: bool = False


def find_region(catalogue: Catalogue, query: str) -> Region:
    """The region whose ARM name, display name or location code is `query` (any case)."""
    wanted = _fold(query)
    for region in catalogue.regions:
        known_as = {_fold(region.name), _fold(region.display_name), _fold(region.code or "")}
        # A region without a code must not answer to an empty --region.
        if wanted in known_as - {""}:
            return region
    # only a misspelt region needs difflib: not imported by every check (2 ms)
    import difflib

    names = sorted(r.name for r in catalogue.regions)
    spellings = {
        _fold(s): r.name
        for r in catalogue.regions
        for s in (r.name, r.display_name, r.code or "")
        if s
    }
    close = list(
        dict.fromkeys(
            spellings[m] for m in difflib.get_close_matches(wanted, spellings, n=8, cutoff=0.6)
        )
    )[:5]
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise UsageError(
        f"unknown region {query!r}: {hint}run 'netcheck regions' for all {len(names)} "
        f"(e.g. {', '.join(names[:3])})"
    )


def _fold(text: str) -> str:
    return "".join(text.split()).casefold()


def parse_guid(value: str | None, option: str) -> str | None:
    """A GUID in canonical lowercase form; anything else is a usage error naming `option`."""
    if value is None:
        return None
    try:
        return str(uuid.UUID(value.strip().strip("{}")))
    except ValueError:
        raise UsageError(
            f"{option}: {value!r} is not a GUID (expected 8-4-4-4-12 hex digits, "
            "e.g. 4f3e2d1c-0b9a-8765-4321-0fedcba98765)"
        ) from None


def deployments_for(
    workspace_id: str | None,
    account_id: str | None,
    update_management: bool,
    include_revocation: bool = False,
) -> frozenset[Deployment]:
    """The deployments a run covers. Without either ID, both worker types are checked."""
    chosen = set()
    if workspace_id:
        chosen.add(Deployment.AGENT)
    if account_id:
        chosen.add(Deployment.EXTENSION)
    if not chosen:
        chosen = {Deployment.AGENT, Deployment.EXTENSION}
    if update_management:
        chosen.add(Deployment.UPDATE_MANAGEMENT)
    if include_revocation:
        chosen.add(Deployment.REVOCATION)
    return frozenset(chosen)


def selection_for(
    catalogue: Catalogue,
    region: str | None,
    workspace_id: str | None,
    account_id: str | None,
    update_management: bool,
    include_revocation: bool = False,
    id_names: tuple[str, str] = ("--workspace-id", "--automation-account-id"),
) -> Selection:
    """The selection of already loaded `catalogue`; `region` None means every region.

    Shared by the command line and the exporter, which name the IDs differently in their
    errors (`id_names`: how the workspace and the account ID are spelled where they came from).
    """
    workspace = parse_guid(workspace_id, id_names[0])
    account = parse_guid(account_id, id_names[1])
    return Selection(
        region=find_region(catalogue, region) if region is not None else catalogue.regions[0],
        deployments=deployments_for(workspace, account, update_management, include_revocation),
        workspace_id=workspace,
        account_id=account,
        all_regions=region is None,
    )


def expand(catalogue: Catalogue, selection: Selection) -> list[Target]:
    """Every target of the selection: concrete hosts, skipped ones, and wildcards.

    Wildcards carry `covered_by` when a concrete host of the same run falls under them; an
    uncovered wildcard is a skipped target, because nothing under it can be probed. A host
    that several regions need (a global one) is one target.
    """
    raw: list[Target] = []
    for region in selected_regions(catalogue, selection):
        for endpoint in catalogue.endpoints:
            if region.cloud in endpoint.clouds and endpoint.deployments & selection.deployments:
                raw.extend(_targets_of(endpoint, catalogue, selection, region))
    merged = _merge(raw)
    # A doubtful record may not exist at all, so it cannot vouch for a wildcard.
    concrete = [
        t.host
        for t in merged
        if t.skip_reason is None and not t.host.startswith("*.") and t.doubtful is None
    ]
    result = []
    for target in merged:
        if target.host.startswith("*.") and target.skip_reason is None:
            suffix = target.host[1:]
            covering = tuple(sorted(h for h in concrete if h.endswith(suffix)))
            if covering:
                target = replace(target, covered_by=covering)
            else:
                target = replace(
                    target, skip_reason="wildcard with no concrete host to probe under it"
                )
        result.append(target)
    return sorted(result, key=_order)


def selected_regions(catalogue: Catalogue, selection: Selection) -> tuple[Region, ...]:
    """The regions a selection covers: its one region, or every region with --all-regions."""
    return catalogue.regions if selection.all_regions else (selection.region,)


def probe_targets(targets: Iterable[Target]) -> list[Target]:
    """What `check` reports on: everything except wildcards already covered by a probed host."""
    return [t for t in targets if not t.covered_by]


def canary_label() -> str:
    """A fresh random label: a name under it cannot exist, so any answer for it is suspect."""
    import secrets

    return f"netcheck-canary-{secrets.token_hex(6)}"


def canaries(targets: Iterable[Target], label: str) -> list[Target]:
    """One name that cannot exist under each required wildcard domain.

    A healthy resolver answers NXDOMAIN and a healthy proxy refuses the tunnel; an answer means
    a resolver or middlebox answers every name, which makes every other pass suspect.
    """
    suffixes = sorted({t.host[2:] for t in targets if t.host.startswith("*.") and t.port == 443})
    return [
        Target(
            host=f"{label}.{suffix}",
            port=443,
            endpoint_ids=("canary",),
            purpose=f"canary: a random name under {suffix} that must not exist",
            deployments=frozenset(),
            bypass_inspection=False,
            source="netcheck",
            canary=True,
        )
        for suffix in suffixes
    ]


def bypass_domains(targets: Iterable[Target]) -> tuple[str, ...]:
    """The names Microsoft says to exclude from TLS inspection, wildcards first."""
    names = {t.host for t in targets if t.bypass_inspection and t.port == 443}
    wildcards = {n for n in names if n.startswith("*.")}
    covered = {n for n in names - wildcards if any(n.endswith(w[1:]) for w in wildcards)}
    return tuple(sorted(wildcards) + sorted(names - wildcards - covered))


def _order(target: Target) -> tuple[int, str, int]:
    return (target.host.startswith("*."), target.host, target.port)


def _targets_of(
    endpoint: Endpoint, catalogue: Catalogue, selection: Selection, region: Region
) -> list[Target]:
    names = placeholders(endpoint.pattern)
    values: dict[str, str | None] = dict(catalogue.clouds[region.cloud].suffixes)
    values.update(
        workspace_id=selection.workspace_id,
        account_id=selection.account_id,
        region=region.name,
        code=region.code,
        legacy_jrds=region.legacy_jrds,
        legacy_agentservice=region.legacy_agentservice,
    )
    # A legacy record a region never had is not required there: the endpoint does not apply.
    if any(n in ("legacy_jrds", "legacy_agentservice") and values[n] is None for n in names):
        return []
    regional = bool(_REGIONAL & set(names))
    skip = _skip_reason(names, values, region)
    domains: tuple[str | None, ...] = (
        region.account_domains if "account_domain" in names else (None,)
    )
    if skip is not None or not domains:
        shown = {n: (values.get(n) or f"<{n.replace('_', '-')}>") for n in names}
        shown["account_domain"] = (
            region.account_domains[0] if region.account_domains else "<account-domain>"
        )
        host = endpoint.pattern.format(**shown)
        reason = skip or f"region {region.name} has no per-account records"
        return [_target(endpoint, host, region.doubtful if regional else None, reason)]
    hosts = []
    for domain in domains:
        filled = {n: values.get(n) for n in names}
        if domain is not None:
            filled["account_domain"] = domain
        host = endpoint.pattern.format(**filled).lower()
        doubt = region.doubtful if regional and region.doubts(host) else None
        hosts.append(_target(endpoint, host, doubt, None))
    return hosts


def _skip_reason(names: list[str], values: dict[str, str | None], region: Region) -> str | None:
    for name in names:
        if name in _NEEDS_OPTION and values[name] is None:
            return f"needs {_NEEDS_OPTION[name]}"
        if name == "code" and region.code is None:
            return f"no location code is published for {region.name}; give one with --catalogue"
    return None


def _target(endpoint: Endpoint, host: str, doubtful: str | None, skip: str | None) -> Target:
    return Target(
        host=host,
        port=endpoint.port,
        endpoint_ids=(endpoint.id,),
        purpose=endpoint.purpose,
        deployments=endpoint.deployments,
        bypass_inspection=endpoint.bypass_inspection,
        source=endpoint.source,
        service_tags=(endpoint.service_tag,) if endpoint.service_tag else (),
        doubtful=doubtful,
        skip_reason=skip,
    )


def _merge(targets: list[Target]) -> list[Target]:
    """One target per host and port; endpoints that name the same host are combined."""
    by_key: dict[tuple[str, int], Target] = {}
    # With --all-regions every region brings the same global endpoints again: each is merged
    # once (merging it again would change nothing, at the cost of a new target each time).
    merged: set[Target] = set()
    for t in targets:
        if t in merged:
            continue
        merged.add(t)
        key = (t.host, t.port)
        seen = by_key.get(key)
        if seen is None:
            by_key[key] = t
            continue
        by_key[key] = replace(
            seen,
            endpoint_ids=seen.endpoint_ids
            + tuple(e for e in t.endpoint_ids if e not in seen.endpoint_ids),
            purpose=_joined(seen.purpose, t.purpose),
            deployments=seen.deployments | t.deployments,
            bypass_inspection=seen.bypass_inspection or t.bypass_inspection,
            source=_joined(seen.source, t.source),
            service_tags=tuple(sorted(set(seen.service_tags) | set(t.service_tags))),
            doubtful=seen.doubtful or t.doubtful,
        )
    return list(by_key.values())


def _joined(texts: str, text: str) -> str:
    """`texts` ("a; b") with `text` added unless it is already one of them. A text may hold
    "; " itself (a source that cites two documents), so it is looked for whole."""
    present = (
        texts == text
        or texts.startswith(f"{text}; ")
        or texts.endswith(f"; {text}")
        or f"; {text}; " in texts
    )
    return texts if present else f"{texts}; {text}"
