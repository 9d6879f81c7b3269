"""What a /probe request asks for, checked before anything touches the network (pure).

Only catalogue-derived targets can be probed: the parameters choose a selection of the
module's catalogue, exactly as `netcheck check` options do, and there is no parameter that
names a host, a proxy or a password.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from netcheck.errors import UsageError
from netcheck.expand import Selection, selection_for
from netcheck.exporter.config import DEFAULT_MODULE, Module

PARAMETERS = ("region", "workspace_id", "automation_account_id", "update_management", "module")
# Seconds kept from Prometheus's scrape timeout for the answer to travel back (blackbox_exporter
# keeps the same by default).
MARGIN = 0.5
# A target's steps run one after another (DNS, connect, proxy CONNECT or TLS, HTTP): a probe
# ends within this many step timeouts, all targets running at once.
STEPS_PER_TARGET = 4


class BadRequest(Exception):
    """The request cannot be served: the message is one line naming the problem and choices."""


@dataclass(frozen=True)
class ProbeRequest:
    module: Module
    selection: Selection


def parse_probe(query: str, modules: Mapping[str, Module]) -> ProbeRequest:
    """The module and selection a /probe query names; anything else is a BadRequest."""
    try:
        params = parse_qs(query, keep_blank_values=True, strict_parsing=False, max_num_fields=20)
    except ValueError:
        raise BadRequest("too many parameters") from None
    for name, values in params.items():
        if name not in PARAMETERS:
            # its value is not repeated: whatever was sent there stays out of answers and logs
            raise BadRequest(
                f"unknown parameter {name[:40]!r} (valid: {', '.join(PARAMETERS)}); only the "
                "catalogue's targets can be probed"
            )
        if len(values) > 1:
            raise BadRequest(f"parameter {name} given {len(values)} times")
    given = {name: values[0].strip() for name, values in params.items()}
    module_name = given.get("module") or DEFAULT_MODULE
    module = modules.get(module_name)
    if module is None:
        raise BadRequest(
            f"unknown module {module_name[:40]!r} (configured: {', '.join(sorted(modules))})"
        )
    region = given.get("region")
    if not region:
        raise BadRequest("missing region (e.g. region=westeurope; 'netcheck regions' lists them)")
    flag = given.get("update_management", "false").lower()
    if flag not in ("true", "false"):
        raise BadRequest(f"update_management: {flag[:40]!r} is not true or false")
    try:
        selection = selection_for(
            module.catalogue,
            region,
            given.get("workspace_id") or None,
            given.get("automation_account_id") or None,
            flag == "true",
            id_names=("workspace_id", "automation_account_id"),
        )
    except UsageError as exc:
        raise BadRequest(str(exc)) from None
    return ProbeRequest(module, selection)


def probe_deadline(scrape_timeout: str | None, module_timeout: float) -> float:
    """Seconds the whole probe may take: Prometheus's scrape timeout less MARGIN, capped by the
    module's timeout; the module's timeout alone when the header is missing or not a number."""
    try:
        offered = float(scrape_timeout) if scrape_timeout is not None else math.inf
    except ValueError:
        offered = math.inf
    if not math.isfinite(offered) or offered <= 0:
        return module_timeout
    # too short for the whole margin: keep half of it for the answer
    usable = offered - MARGIN if offered > 2 * MARGIN else offered / 2
    return min(module_timeout, usable)


def step_timeout(deadline: float) -> float:
    """The per-step timeout that ends every target's probe within `deadline`."""
    return deadline / STEPS_PER_TARGET
