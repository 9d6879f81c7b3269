"""Windows workers, agent-based (HealthService) and extension-based (HybridWorkerService): their
registry keys (64-bit view), `sc query` by numbers, the extension's settings below the root,
and the machine's proxy settings.

The registry and commands are asked only on the running system; on an offline disk the files
below the root (the extension's settings, its logs) are still read.
"""

from __future__ import annotations

import re

from netcheck.commands import Runner
from netcheck.diagnose import windows_output, windows_proxy
from netcheck.diagnose.discovery_model import (
    CommandOutput,
    Discovery,
    Service,
    ServiceStatus,
    Setting,
    Unreadable,
    Worker,
    WorkerKind,
)
from netcheck.diagnose.extension_settings import read_settings
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.proxy_choice import ProxyCandidate
from netcheck.diagnose.windows_registry import Registry, Values, walk
from netcheck.models import Deployment

REG_AGENT_WORKER = r"HKLM\SOFTWARE\Microsoft\HybridRunbookWorker"
REG_EXTENSION_WORKER = (
    r"HKLM\SOFTWARE\Microsoft\HybridRunbookWorkerV2",
    r"HKLM\SOFTWARE\Microsoft\Azure\HybridWorker",
)
# The Log Analytics agent keeps one subkey per workspace, named "Log Analytics - <workspace ID>".
REG_MMA_WORKSPACES = (
    r"HKLM\SYSTEM\CurrentControlSet\Services\HealthService\Parameters"
    r"\Service Connector Services"
)
_GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
EXT_WINDOWS = "/Packages/Plugins/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows"
_SERVICE_STATUS = {4: ServiceStatus.RUNNING, 1: ServiceStatus.STOPPED}

Keys = dict[str, Values]


def discover_windows(
    files: HostFiles, registry: Registry | None, runner: Runner | None
) -> Discovery:
    outputs: list[CommandOutput] = []
    problems: list[Unreadable] = []
    unknown: list[str] = []
    looked_for = (
        f"Log Analytics agent: service HealthService, {REG_AGENT_WORKER}",
        f"extension: service HybridWorkerService, {', '.join(REG_EXTENSION_WORKER)}, "
        f"{EXT_WINDOWS}*/*/RuntimeSettings below the root",
    )

    def service(name: str, fix: str) -> Service | None:
        if runner is None:
            return None
        argv = ("sc", "query", name.split()[0])
        done = runner(argv)
        if done is None:
            return Service(name, ServiceStatus.UNKNOWN, " ".join(argv), "sc could not be run", fix)
        outputs.append(CommandOutput(argv, done.stdout))
        query = windows_output.service_query(done)
        if not query.installed:
            return None
        state = query.state
        if state is None:
            detail = f"no STATE in the output (exit status {done.returncode})"
            return Service(name, ServiceStatus.UNKNOWN, " ".join(argv), detail, fix)
        shown = f"STATE {state} ({windows_output.SERVICE_STATES.get(state, '?')})"
        status = _SERVICE_STATUS.get(state, ServiceStatus.UNKNOWN)
        return Service(name, status, " ".join(argv), shown, fix)

    def keys(key: str) -> Keys:
        if registry is None:
            return {}
        try:
            return dict(walk(registry, key))
        except OSError as exc:
            unknown.append(f"{key}: {exc.strerror or exc}")
            return {}

    workers = []
    agent_keys = keys(REG_AGENT_WORKER)
    health = service(
        "HealthService (Microsoft Monitoring Agent)",
        "Start it with 'Start-Service HealthService'; the Operations Manager event log tells "
        "why it stopped.",
    )
    if agent_keys or health is not None:
        workspaces = sorted(
            {
                m.group(1).lower()
                for key in keys(REG_MMA_WORKSPACES)
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
                    "documented; the machine's WinHTTP and WinINET settings are read instead",
                    *unknown,
                ),
            )
        )
    extension_keys: Keys = {}
    for key in REG_EXTENSION_WORKER:
        extension_keys |= keys(key)
    hybrid = service(
        "HybridWorkerService (Hybrid Worker Service)",
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
    machine: list[ProxyCandidate] = []
    if registry is not None:
        machine, found_problems = windows_proxy.machine_proxies(registry)
        problems += found_problems
    return Discovery(
        workers=tuple(workers),
        looked_for=looked_for,
        machine_proxies=tuple(machine),
        outputs=tuple(outputs),
        problems=tuple(problems),
    )


def _registry_urls(keys: Keys) -> list[Setting]:
    """URL values of the worker's keys: their names are not documented, their values speak."""
    return [
        Setting.redacted(_snake(name), value.data, f"{key}\\{name}")
        for key, values in keys.items()
        for name, value in values.items()
        if isinstance(value.data, str) and value.data.lower().startswith("https://")
    ]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace(" ", "_")
