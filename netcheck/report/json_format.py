"""The JSON report: the stable contract documented in docs/report-json.md."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections import Counter
from typing import Any

from netcheck.models import Report, Status, TargetResult
from netcheck.report.steps import causes

SCHEMA = "netcheck.report/1"


def plain(value: Any) -> Any:
    """Dataclasses (but their fields marked render=False), enums, tuples and sets as JSON-ready
    values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.metadata.get("render", True)
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def summary(report: Report) -> dict[str, Any]:
    statuses = Counter(r.status.value for r in report.results)
    every = [f for r in report.results for f in r.findings] + list(report.findings)
    severities = Counter(f.severity.value for f in every)
    codes = Counter(f.code for f in every)
    return {
        "status": report.status.value,
        "targets": len(report.results),
        "counts": {s.value: statuses.get(s.value, 0) for s in Status},
        "findings": {s: severities.get(s, 0) for s in ("fail", "warn", "info")},
        "codes": dict(sorted(codes.items())),
        "cause": next((f.code for f in causes(report)), None),
        "duration_ms": round(report.duration_ms, 1),
    }


def target_dict(result: TargetResult) -> dict[str, Any]:
    t = result.target
    obs = result.observation
    return {
        "host": t.host,
        "port": t.port,
        "status": result.status.value,
        "skip_reason": t.skip_reason,
        "endpoints": list(t.endpoint_ids),
        "purpose": t.purpose,
        "deployments": plain(t.deployments),
        "bypass_inspection": t.bypass_inspection,
        "service_tags": list(t.service_tags),
        "doubtful": t.doubtful,
        "canary": t.canary,
        "source": t.source,
        "findings": [plain(f) for f in result.findings],
        "checked_at": obs.checked_at if obs else None,
        "via_proxy": obs.via_proxy if obs else None,
        "observations": {
            step: plain(getattr(obs, step)) if obs else None
            for step in ("dns", "proxy", "tcp", "tls", "http")
        },
    }


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "tool": {"name": "netcheck", "version": report.tool_version},
        "generated_at": report.generated_at,
        "origin": plain(report.origin),
        "options": plain(report.options),
        "summary": summary(report),
        "findings": [plain(f) for f in report.findings],
        "targets": [target_dict(r) for r in report.results],
    }


def render(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2) + "\n"
