"""The merged report and the diff as JSON: the contracts in docs/report-json.md."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from netcheck.fleet.merge import cause_line
from netcheck.fleet.model import (
    DIFF_SCHEMA,
    FLEET_SCHEMA,
    Change,
    Diff,
    Fleet,
    HostFinding,
    HostReport,
)


def fleet_summary(fleet: Fleet) -> dict[str, Any]:
    codes: Counter[str] = Counter()
    for host in fleet.hosts:
        codes.update({f.code for f in host.findings})
    return {
        "status": fleet.status.value,
        "hosts": len(fleet.hosts),
        "counts": fleet.counts(),
        "codes": dict(sorted(codes.items())),  # how many hosts show each code
        "superseded": sum(len(h.superseded) for h in fleet.hosts),
    }


def host_dict(host: HostReport) -> dict[str, Any]:
    return {
        "name": host.name,
        "status": host.status.value,
        "source": host.source,
        "reason": host.reason,
        "generated_at": host.generated_at,
        "origin": host.origin,
        "superseded": [
            {"source": s.source, "generated_at": s.generated_at} for s in host.superseded
        ],
        "targets": [
            {"target": t.target, "port": t.port, "status": t.status.value} for t in host.targets
        ],
        "findings": [_finding(f) for f in host.findings],
    }


def _finding(found: HostFinding) -> dict[str, Any]:
    return {
        "target": found.target,
        "port": found.port,
        "code": found.code,
        "severity": found.severity.value,
        "message": found.message,
    }


def fleet_dict(fleet: Fleet) -> dict[str, Any]:
    return {
        "schema": FLEET_SCHEMA,
        "tool": {"name": "netcheck", "version": fleet.tool_version},
        "generated_at": fleet.generated_at,
        "summary": fleet_summary(fleet),
        "causes": [
            {
                "code": c.code,
                "severity": c.severity.value,
                "detail": c.detail,
                "text": cause_line(c, len(fleet.hosts)),
                "hosts": list(c.hosts),
                "targets": list(c.targets),
            }
            for c in fleet.causes
        ],
        "hosts": [host_dict(h) for h in fleet.hosts],
    }


def render_fleet(fleet: Fleet) -> str:
    return json.dumps(fleet_dict(fleet), indent=2) + "\n"


def _change(change: Change) -> dict[str, Any]:
    return {"host": change.host, "target": change.target, "port": change.port, "code": change.code}


def diff_dict(diff: Diff) -> dict[str, Any]:
    return {
        "schema": DIFF_SCHEMA,
        "summary": {
            "regressions": len(diff.regressions),
            "fixed": len(diff.fixed),
            "still_failing": len(diff.still_failing),
            "not_compared": len(diff.not_compared),
        },
        "regressions": [_change(c) for c in diff.regressions],
        "fixed": [_change(c) for c in diff.fixed],
        "still_failing": [_change(c) for c in diff.still_failing],
        "not_compared": [{"host": n.host, "reason": n.reason} for n in diff.not_compared],
    }


def render_diff(diff: Diff) -> str:
    return json.dumps(diff_dict(diff), indent=2) + "\n"
