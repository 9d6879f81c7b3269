"""What to probe: the region, IDs and deployments that the discovered worker really uses."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from netcheck.diagnose.discovery_model import Discovery
from netcheck.expand import Selection, deployments_for, find_region
from netcheck.findings import codes
from netcheck.findings.base import finding
from netcheck.models import Catalogue, Deployment, Finding, Region

# Settings that hold a URL of the account's regional service, in the order they are trusted.
_URL_SETTINGS = ("jrds_url", "automation_account_url", "registration_url", "dsc_endpoint")
# <account>.jrds.<code>.<domain>, <account>.agentsvc.<code>.<domain>, ...webhook...
_REGIONAL_HOST = re.compile(r"^[^.]+\.(?:jrds|agentsvc|webhook)\.([a-z0-9]+)\.")
_GUID = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", re.I)


@dataclass(frozen=True)
class Scope:
    selection: Selection | None  # None: no region, nothing to probe
    region_source: str | None  # which setting named the region
    problem: str | None = None


def scope_for(discovery: Discovery, catalogue: Catalogue, region: str | None) -> Scope:
    workspace = _guid(discovery, "workspace_id")
    account = _guid(discovery, "account_id") or _account_from_url(discovery)
    kinds = {d for w in discovery.workers for d in w.deployments}
    if Deployment.UPDATE_MANAGEMENT in kinds:
        kinds.add(Deployment.AGENT)  # the Update Management worker is an agent-based one
    deployments = frozenset(kinds) or deployments_for(workspace, account, False)
    if region is not None:
        chosen, source = find_region(catalogue, region), "--region"
    else:
        found = _region_from_urls(discovery, catalogue)
        if found is None:
            return Scope(None, None, _no_region(discovery))
        chosen, source = found
    return Scope(Selection(chosen, deployments, workspace, account), source)


def _guid(discovery: Discovery, name: str) -> str | None:
    setting = discovery.setting(name)
    if setting is None:
        return None
    try:
        return str(uuid.UUID(setting.value.strip("{}")))
    except ValueError:
        return None


def _account_from_url(discovery: Discovery) -> str | None:
    """The account ID in .../automationAccounts/<ID> or <ID>.jrds.<code>...."""
    setting = discovery.setting("automation_account_url")
    if setting is None:
        return None
    match = _GUID.search(setting.value)
    return match.group(0).lower() if match else None


def _region_from_urls(discovery: Discovery, catalogue: Catalogue) -> tuple[Region, str] | None:
    for name in _URL_SETTINGS:
        for worker in discovery.workers:
            for setting in worker.settings:
                if setting.name != name:
                    continue
                region = region_of_host(urlsplit(setting.value).hostname or "", catalogue)
                if region is not None:
                    return region, setting.source
    return None


def region_of_host(host: str, catalogue: Catalogue) -> Region | None:
    """The region a service host belongs to: its location code, or a legacy regional name."""
    host = host.lower()
    match = _REGIONAL_HOST.match(host)
    for region in catalogue.regions:
        if match and region.code == match.group(1):
            return region
        if host in (region.legacy_jrds, region.legacy_agentservice):
            return region
    return None


def _no_region(discovery: Discovery) -> str:
    urls = [s for s in (discovery.setting(n) for n in _URL_SETTINGS) if s is not None]
    if not urls:
        return "no setting names the account's regional service (JRDS or registration URL)"
    shown = ", ".join(f"{s.value} ({s.source})" for s in urls)
    return f"no region of the catalogue matches {shown}"


def judge(scope: Scope) -> list[Finding]:
    if scope.problem is None:
        return []
    return [
        finding(
            codes.AGENT_REGION_UNKNOWN,
            f"the worker's region could not be found ({scope.problem}); the endpoints were not "
            "probed",
            problem=scope.problem,
        )
    ]
