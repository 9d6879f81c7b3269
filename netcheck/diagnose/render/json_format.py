"""The diagnose report as JSON: check's contract (report_dict) with host, agent and diagnosis.

Documented in docs/diagnose.md.
"""

from __future__ import annotations

import json
from typing import Any

from netcheck.diagnose.diagnosis import Diagnosis
from netcheck.diagnose.discovery_model import Worker
from netcheck.diagnose.host import HostFacts
from netcheck.diagnose.proxy_choice import ProxyCandidate
from netcheck.models import Finding
from netcheck.report import json_format
from netcheck.report.json_format import plain


def diagnose_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    return {
        **json_format.report_dict(diagnosis.report),
        "host": host_dict(diagnosis.host, diagnosis.host_findings),
        "agent": agent_dict(diagnosis),
        "diagnosis": [
            {"rank": n, **plain(cause)} for n, cause in enumerate(diagnosis.causes, start=1)
        ],
    }


def host_dict(facts: HostFacts, verdicts: tuple[Finding, ...]) -> dict[str, Any]:
    return {
        "os": plain(facts.os),
        "supported_for": list(facts.supported_for()),
        "cpu_cores": facts.cpu_cores,
        "memory_bytes": facts.memory_bytes,
        "disk": {"path": facts.disk_path, "free_bytes": facts.disk_free_bytes},
        "tls_library": plain(facts.tls),
        "windows_tls": plain(facts.windows_tls),
        "unknown": list(facts.unknown),
        "verdicts": [plain(f) for f in verdicts],
    }


def agent_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    selection = diagnosis.scope.selection
    choice = diagnosis.proxy
    return {
        "workers": [_worker_dict(w) for w in diagnosis.discovery.workers],
        "looked_for": list(diagnosis.discovery.looked_for),
        "workspace_id": selection.workspace_id if selection else None,
        "automation_account_id": selection.account_id if selection else None,
        "region": selection.region.name if selection else None,
        "region_source": diagnosis.scope.region_source,
        "not_probed": diagnosis.scope.problem,
        "proxy": {
            "used": _candidate_dict(choice.used) if choice.used else None,
            "why": choice.why,
            "candidates": [_candidate_dict(c) for c in choice.candidates],
            "no_proxy": choice.no_proxy,
            "pac": {
                "url": choice.pac.url,
                "problem": choice.pac.problem,
                "answers": {d.host: d.answer for d in choice.pac.decisions},
            }
            if choice.pac
            else None,
        },
        "logs": {
            "scanned": list(diagnosis.logs.scanned),
            "matches": [plain(m) for m in diagnosis.logs.matches],
        },
        "findings": [plain(f) for f in (*diagnosis.agent_findings, *diagnosis.log_findings)],
    }


def _worker_dict(worker: Worker) -> dict[str, Any]:
    # Field by field: a worker's proxies hold passwords, which plain() would copy.
    return {
        "kind": worker.kind.value,
        "deployments": plain(worker.deployments),
        "found": list(worker.found),
        "registered": worker.registered,
        "settings": [plain(s) for s in worker.settings],
        "services": [plain(s) for s in worker.services],
        "proxies": [_candidate_dict(p) for p in worker.proxies],
        "unknown": list(worker.unknown),
        "files": list(worker.files),
    }


def _candidate_dict(candidate: ProxyCandidate) -> dict[str, Any]:
    return {
        "source": candidate.source,
        "location": candidate.location,
        "proxy": candidate.shown,
        "usable": candidate.settings is not None,
        "problem": candidate.problem,
        "bypass": list(candidate.bypass),
        "pac": candidate.pac,
        "ignored": candidate.ignored,
    }


def render(diagnosis: Diagnosis) -> str:
    return json.dumps(diagnose_dict(diagnosis), indent=2) + "\n"
