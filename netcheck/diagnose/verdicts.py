"""Findings about the installed worker: missing, unregistered, stopped, unreadable, retired."""

from __future__ import annotations

from collections.abc import Iterable

from netcheck.diagnose.discovery_model import Discovery, ServiceStatus, Unreadable, WorkerKind
from netcheck.findings import codes
from netcheck.findings.base import finding
from netcheck.models import Finding


def unreadable(problems: Iterable[Unreadable]) -> list[Finding]:
    """One finding per value or log that could not be read, with the raw value."""
    return [
        finding(
            codes.HOST_SETTING_UNREADABLE,
            f"{p.what}: {p.where} cannot be used ({p.why}); as found: {p.raw or '(empty)'}",
            what=p.what,
            where=p.where,
            raw=p.raw,
            problem=p.why,
        )
        for p in problems
    ]


def judge(discovery: Discovery, root: str) -> list[Finding]:
    found = unreadable(discovery.problems)
    if not discovery.workers:
        return [
            finding(
                codes.AGENT_NOT_INSTALLED,
                f"no Hybrid Runbook Worker was found below {root}",
                looked_for=list(discovery.looked_for),
            ),
            *found,
        ]
    for worker in discovery.workers:
        kind = worker.kind.value
        if worker.registered is False:
            found.append(
                finding(
                    codes.AGENT_WORKER_NOT_REGISTERED,
                    f"the {kind} install has no worker registration "
                    "(no worker.conf, AutomationAccountURL or worker registry values)",
                    kind=kind,
                    found=list(worker.found),
                )
            )
        for service in worker.services:
            if service.status is ServiceStatus.STOPPED:
                found.append(
                    finding(
                        codes.AGENT_SERVICE_STOPPED,
                        f"{service.name} of the {kind} worker is not running "
                        f"({service.how}: {service.detail})",
                        service.fix or None,
                        service=service.name,
                        how=service.how,
                        detail=service.detail,
                    )
                )
        if worker.unknown:
            found.append(
                finding(
                    codes.AGENT_SETTINGS_UNREADABLE,
                    f"part of the {kind} configuration cannot be read: "
                    + "; ".join(worker.unknown),
                    kind=kind,
                    unknown=list(worker.unknown),
                )
            )
        if worker.kind in (WorkerKind.AGENT_LINUX, WorkerKind.AGENT_WINDOWS):
            found.append(
                finding(
                    codes.AGENT_BASED_RETIRED,
                    f"this is an agent-based worker ({kind}); that worker type and the Log "
                    "Analytics agent it runs on are retired since 31 August 2024",
                    kind=kind,
                )
            )
    return found
