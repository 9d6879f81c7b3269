"""Windows workers, agent-based (HealthService) and extension-based (HybridWorkerService),
from the output of sc, reg and netsh and the extension's settings below the root."""

from __future__ import annotations

import re

from netcheck.diagnose import windows_output
from netcheck.diagnose.commands import Runner
from netcheck.diagnose.discovery_model import (
    CommandOutput,
    Discovery,
    Service,
    ServiceStatus,
    Setting,
    Worker,
    WorkerKind,
)
from netcheck.diagnose.extension_settings import read_settings
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.proxy_choice import candidate
from netcheck.models import Deployment

HKLM = "HKEY_LOCAL_MACHINE"
REG_AGENT_WORKER = rf"{HKLM}\SOFTWARE\Microsoft\HybridRunbookWorker"
REG_EXTENSION_WORKER = (
    rf"{HKLM}\SOFTWARE\Microsoft\HybridRunbookWorkerV2",
    rf"{HKLM}\SOFTWARE\Microsoft\Azure\HybridWorker",
)
# The Log Analytics agent keeps one subkey per workspace, named "Log Analytics - <workspace ID>".
REG_MMA_WORKSPACES = (
    rf"{HKLM}\SYSTEM\CurrentControlSet\Services\HealthService\Parameters"
    r"\Service Connector Services"
)
_GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
EXT_WINDOWS = "/Packages/Plugins/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows"


def discover_windows(files: HostFiles, runner: Runner | None) -> Discovery:
    outputs: list[CommandOutput] = []

    def run(*argv: str) -> str:
        text = runner(argv) if runner is not None else None
        if text is not None:
            outputs.append(CommandOutput(argv, text))
        return text or ""

    looked_for = (
        f"Log Analytics agent: service HealthService, {REG_AGENT_WORKER}",
        f"extension: service HybridWorkerService, {', '.join(REG_EXTENSION_WORKER)}, "
        f"{EXT_WINDOWS}*/*/RuntimeSettings below the root",
    )
    if runner is None:
        return Discovery(workers=(), looked_for=looked_for)
    workers = []
    agent_keys = windows_output.registry(run("reg", "query", REG_AGENT_WORKER, "/s"))
    health = _windows_service(
        "HealthService (Microsoft Monitoring Agent)",
        run("sc", "query", "HealthService"),
        "Start it with 'Start-Service HealthService'; the Operations Manager event log tells "
        "why it stopped.",
    )
    if agent_keys or health is not None:
        workspaces = sorted(
            {
                m.group(1).lower()
                for key in windows_output.registry(run("reg", "query", REG_MMA_WORKSPACES, "/s"))
                for m in [re.search(rf"Log Analytics - ({_GUID})$", key)]
                if m
            }
        )
        settings = [
            Setting.redacted("workspace_id", ws, f"{REG_MMA_WORKSPACES}\\Log Analytics - {ws}")
            for ws in workspaces
        ]
        settings += _registry_urls(agent_keys)
        workers.append(
            Worker(
                kind=WorkerKind.AGENT_WINDOWS,
                deployments=frozenset({Deployment.AGENT}),
                found=(
                    *(["service HealthService"] if health else []),
                    *([REG_AGENT_WORKER] if agent_keys else []),
                ),
                registered=bool(agent_keys),
                settings=tuple(settings),
                services=(health,) if health else (),
                unknown=(
                    "the Log Analytics agent's own proxy setting: its registry location is not "
                    "documented",
                ),
            )
        )
    extension_keys: windows_output.Registry = {}
    for key in REG_EXTENSION_WORKER:
        extension_keys |= windows_output.registry(run("reg", "query", key, "/s"))
    hybrid = _windows_service(
        "HybridWorkerService (Hybrid Worker Service)",
        run("sc", "query", "HybridWorkerService"),
        "Start it with 'Start-Service HybridWorkerService'; C:\\HybridWorkerExtensionLogs tells "
        "why it stopped.",
    )
    settings_files = files.glob(EXT_WINDOWS + "*/*/RuntimeSettings/*.settings")
    if extension_keys or hybrid is not None or settings_files:
        config = read_settings(files, settings_files)
        workers.append(
            Worker(
                kind=WorkerKind.EXTENSION_WINDOWS,
                deployments=frozenset({Deployment.EXTENSION}),
                found=(
                    *(["service HybridWorkerService"] if hybrid else []),
                    *sorted(
                        {k for k in REG_EXTENSION_WORKER for e in extension_keys if e.startswith(k)}
                    ),
                    *config.files,
                ),
                registered=True if config.registered or extension_keys else config.registered,
                settings=(*config.settings, *_registry_urls(extension_keys)),
                services=(hybrid,) if hybrid else (),
                proxies=config.proxies,
                unknown=config.unknown,
                files=config.files,
            )
        )
    winhttp = None
    proxy = windows_output.winhttp_proxy(run("netsh", "winhttp", "show", "proxy"))
    if proxy is not None:
        winhttp = candidate(proxy[0], "WinHTTP", "netsh winhttp show proxy")
    return Discovery(
        workers=tuple(workers), looked_for=looked_for, winhttp=winhttp, outputs=tuple(outputs)
    )


def _windows_service(name: str, sc_output: str, fix: str) -> Service | None:
    state = windows_output.service_state(sc_output)
    if state is None:
        return None
    status = {"RUNNING": ServiceStatus.RUNNING, "STOPPED": ServiceStatus.STOPPED}.get(
        state, ServiceStatus.UNKNOWN
    )
    short = name.split()[0]
    return Service(name, status, f"sc query {short}", f"STATE {state or 'not shown'}", fix)


def _registry_urls(keys: windows_output.Registry) -> list[Setting]:
    """URL values of the worker's keys: their names are not documented, their values speak."""
    return [
        Setting.redacted(_snake(name), value, f"{key}\\{name}")
        for key, values in keys.items()
        for name, value in values.items()
        if value.lower().startswith("https://")
    ]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace(" ", "_")
