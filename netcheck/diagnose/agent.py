"""Which Hybrid Runbook Worker is installed, how it is configured, and whether it runs.

Agent-based Linux (Log Analytics agent omsagent, user nxautomation), extension-based Linux
(hwd.service, user hweautomation, the extension's settings under /var/lib/waagent) and, through
their commands' output, agent-based and extension-based Windows.
"""

from __future__ import annotations

import configparser
import enum
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from netcheck.diagnose import windows
from netcheck.diagnose.commands import Runner
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.proxy import ProxyCandidate, candidate
from netcheck.diagnose.redact import redact_text
from netcheck.models import Deployment, Finding
from netcheck.rules.base import finding

OMS_ETC = "/etc/opt/microsoft/omsagent"
OMS_VAR = "/var/opt/microsoft/omsagent"
OMSADMIN = f"{OMS_ETC}/conf/omsadmin.conf"
# The order the worker itself tries them (nxOMSAutomationWorker: PROXY_CONF_PATH_NEW, _LEGACY).
OMS_PROXY_FILES = (f"{OMS_ETC}/proxy.conf", f"{OMS_ETC}/conf/proxy.conf")
_WORKER_CONF = "state/automationworker/worker.conf"  # auto-registered: Update Management
_DIY_WORKER_CONF = "state/automationworker/diy/worker.conf"  # the user Hybrid Runbook Worker
EXT_LINUX = "/var/lib/waagent/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux"
EXT_WINDOWS = "/Packages/Plugins/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows"
UNIT_DIRS = ("/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")

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


class WorkerKind(str, enum.Enum):
    AGENT_LINUX = "agent-based-linux"
    EXTENSION_LINUX = "extension-based-linux"
    AGENT_WINDOWS = "agent-based-windows"
    EXTENSION_WINDOWS = "extension-based-windows"

    @property
    def family(self) -> str:
        """ "agent-based" or "extension-based", as the supported-OS lists are named."""
        return self.value.rsplit("-", 1)[0]


class ServiceStatus(str, enum.Enum):
    RUNNING = "running"
    STOPPED = "stopped"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Service:
    name: str
    status: ServiceStatus
    how: str  # how the status was learnt
    detail: str | None = None
    fix: str = ""  # how to start it and find out why it stopped


@dataclass(frozen=True)
class Setting:
    name: str
    value: str
    source: str


@dataclass(frozen=True)
class Worker:
    kind: WorkerKind
    deployments: frozenset[Deployment]
    found: tuple[str, ...]  # what shows it is installed
    registered: bool | None  # None: cannot tell
    settings: tuple[Setting, ...] = ()
    services: tuple[Service, ...] = ()
    proxies: tuple[ProxyCandidate, ...] = field(default=(), repr=False)
    unknown: tuple[str, ...] = ()  # what exists but could not be read, and why
    files: tuple[str, ...] = ()  # configuration files read (host paths)


@dataclass(frozen=True)
class CommandOutput:
    argv: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Discovery:
    workers: tuple[Worker, ...]
    looked_for: tuple[str, ...]  # where netcheck looked, to say what it did not find
    winhttp: ProxyCandidate | None = None
    outputs: tuple[CommandOutput, ...] = ()  # Windows command output, for the support bundle

    def setting(self, name: str) -> Setting | None:
        return next((s for w in self.workers for s in w.settings if s.name == name), None)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for w in self.workers for f in w.files))


@dataclass(frozen=True)
class Process:
    pid: str
    command: str


def discover(files: HostFiles, runner: Runner | None, on_windows: bool) -> Discovery:
    """Every worker installed below the root. `runner` runs systemctl (Linux) or sc, reg and
    netsh (Windows) and is given only when the root is the live system's; without it, Linux
    service states come from the root's /proc."""
    if on_windows:
        return _discover_windows(files, runner)
    procs = processes(files)
    found = [
        w
        for w in (_agent_linux(files, runner, procs), _extension_linux(files, runner, procs))
        if w is not None
    ]
    looked_for = (
        f"Log Analytics agent: /opt/microsoft/omsagent, {OMSADMIN}, {OMS_VAR}/{_WORKER_CONF}, "
        f"{OMS_VAR}/{_DIY_WORKER_CONF}, user nxautomation",
        f"extension: hwd.service in {', '.join(UNIT_DIRS)}, {EXT_LINUX}*, user hweautomation",
    )
    return Discovery(tuple(found), looked_for)


# ---------------------------------------------------------------- Linux, agent-based


def _agent_linux(
    files: HostFiles, runner: Runner | None, procs: list[Process] | None
) -> Worker | None:
    found = [p for p in ("/opt/microsoft/omsagent",) if files.exists(p)]
    admin = [OMSADMIN] if files.exists(OMSADMIN) else files.glob(f"{OMS_ETC}/*/conf/omsadmin.conf")
    if _has_user(files, "nxautomation"):
        found.append("user nxautomation in /etc/passwd")
    bases = [OMS_VAR, *files.glob(f"{OMS_VAR}/*-*-*-*-*")]  # per-workspace state directories
    confs = [
        f"{base}/{rel}"
        for base in bases
        for rel in (_WORKER_CONF, _DIY_WORKER_CONF)
        if files.exists(f"{base}/{rel}")
    ]
    found += admin[:1] + confs
    if not found:
        return None
    settings: list[Setting] = []
    unknown: list[str] = []
    read: list[str] = []
    for path in admin[:1]:
        text = files.read(path)
        if text is None:
            unknown.append(f"{path}: {files.problem(path) or 'unreadable'}")
            continue
        read.append(path)
        values = dict(_key_values(text))
        for key, name in (
            ("WORKSPACE_ID", "workspace_id"),
            ("AGENT_GUID", "agent_id"),
            ("OMS_ENDPOINT", "oms_endpoint"),
            ("DSC_ENDPOINT", "dsc_endpoint"),
            ("URL_TLD", "url_tld"),
        ):
            if values.get(key):
                settings.append(_setting(name, values[key], f"{path} {key}"))
    proxy_paths: list[str] = []
    for path in confs:
        parsed = _ini(files.read(path))
        if parsed is None:
            unknown.append(f"{path}: {files.problem(path) or 'not a readable INI file'}")
            continue
        read.append(path)
        for section, key, name in (
            ("worker-required", "jrds_base_uri", "jrds_url"),
            ("worker-required", "account_id", "account_id"),
            ("worker-required", "hybrid_worker_group_name", "worker_group"),
            ("oms-metadata", "workspace_id", "workspace_id"),
            ("oms-metadata", "registration_endpoint", "registration_url"),
        ):
            value = parsed.get(section, key, fallback="").strip()
            if value:
                settings.append(_setting(name, value, f"{path} [{section}] {key}"))
        configured = parsed.get("worker-optional", "proxy_configuration_path", fallback="").strip()
        if configured:
            proxy_paths.append(configured)
    proxies = []
    for path in dict.fromkeys([*proxy_paths, *OMS_PROXY_FILES]):
        text = files.read(path)
        if text is not None and text.strip():
            read.append(path)
            proxies.append(candidate(text.strip().splitlines()[0], "omsagent proxy.conf", path))
            break  # the first file found is the one the agent uses
    deployments = (
        {Deployment.UPDATE_MANAGEMENT}
        if any(c.endswith(f"/{_WORKER_CONF}") for c in confs)
        else set()
    )
    if any(c.endswith(_DIY_WORKER_CONF) for c in confs) or not confs:
        deployments.add(Deployment.AGENT)
    workspace = next((s.value for s in settings if s.name == "workspace_id"), None)
    fix_agent = (
        "Restart the agent with 'sudo /opt/microsoft/omsagent/bin/service_control restart'; "
        f"{OMS_VAR}/<workspace ID>/log/omsagent.log tells why it stopped."
    )
    services = [
        _service(
            "omsagent (Log Analytics agent)",
            [f"omsagent-{workspace}", "omsagent"] if workspace else ["omsagent"],
            ("/bin/omsagent",),
            files,
            runner,
            procs,
            fix_agent,
        )
    ]
    if confs:
        services.append(
            _service(
                "hybridworker.py (worker process, user nxautomation)",
                [],
                ("hybridworker.py",),
                files,
                runner,
                procs,
                "The agent starts the worker: restart it with 'sudo /opt/microsoft/omsagent/bin/"
                f"service_control restart' and read {OMS_VAR}/run/automationworker/worker.log.",
            )
        )
    return Worker(
        WorkerKind.AGENT_LINUX,
        frozenset(deployments),
        tuple(found),
        bool(confs),
        tuple(settings),
        tuple(services),
        tuple(proxies),
        tuple(unknown),
        tuple(dict.fromkeys(read)),
    )


# ---------------------------------------------------------------- Linux, extension-based


def _extension_linux(
    files: HostFiles, runner: Runner | None, procs: list[Process] | None
) -> Worker | None:
    units = [f"{d}/hwd.service" for d in UNIT_DIRS if files.exists(f"{d}/hwd.service")]
    dirs = files.glob(EXT_LINUX + "*")
    found = units + dirs
    if _has_user(files, "hweautomation"):
        found.append("user hweautomation in /etc/passwd")
    if not found:
        return None
    read = list(units)
    config = _read_settings(
        files,
        [
            *files.glob(EXT_LINUX + "*/config/*.settings"),
            *files.glob(EXT_LINUX + "*/RuntimeSettings/*.settings"),
        ],
    )
    read += config.files
    proxies = list(config.proxies)
    dropins = [p for d in UNIT_DIRS for p in files.glob(f"{d}/hwd.service.d/*.conf")]
    for path in units[:1] + dropins:
        text = files.read(path) or ""
        for name, value in _unit_environment(text):
            if name in ("https_proxy", "HTTPS_PROXY") and value:
                read.append(path)
                proxies.append(candidate(value, "hwd.service Environment=", f"{path} {name}"))
    service = _service(
        "hwd (Hybrid Worker daemon)",
        ["hwd"],
        ("automationWorkerStarterScript.py",),
        files,
        runner,
        procs,
        "Restart it with 'sudo systemctl restart hwd'; 'journalctl -u hwd' and "
        "/var/log/azure/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux tell why "
        "it stopped.",
    )
    return Worker(
        WorkerKind.EXTENSION_LINUX,
        frozenset({Deployment.EXTENSION}),
        tuple(found),
        config.registered,
        config.settings,
        (service,),
        tuple(proxies),
        config.unknown,
        tuple(dict.fromkeys(read)),
    )


def _unit_environment(unit: str) -> list[tuple[str, str]]:
    pairs = []
    for line in unit.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == "Environment":
            for word in shlex.split(value, posix=True):
                name, _, val = word.partition("=")
                pairs.append((name, val))
    return pairs


@dataclass(frozen=True)
class _ExtensionConfig:
    registered: bool | None
    settings: tuple[Setting, ...] = ()
    proxies: tuple[ProxyCandidate, ...] = ()
    unknown: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


def _read_settings(files: HostFiles, paths: list[str]) -> _ExtensionConfig:
    """The newest settings file (highest extension version, then sequence number)."""
    if not paths:
        return _ExtensionConfig(None, unknown=("no extension settings file (*.settings) found",))
    path = max(paths, key=_settings_order)
    text = files.read(path)
    try:
        handler = json.loads(text or "")["runtimeSettings"][0]["handlerSettings"]
    except (ValueError, LookupError, TypeError):
        why = files.problem(path) or "not the JSON layout runtimeSettings[0].handlerSettings"
        return _ExtensionConfig(None, unknown=(f"{path}: {why}",), files=(path,))
    settings: list[Setting] = []
    proxies: list[ProxyCandidate] = []
    unknown: list[str] = []
    sections: list[tuple[str, Any]] = [("publicSettings", handler.get("publicSettings"))]
    protected = handler.get("protectedSettings")
    if isinstance(protected, str) and protected:
        thumbprint = handler.get("protectedSettingsCertThumbprint") or "unknown"
        unknown.append(
            f"{path}: protectedSettings are encrypted for the certificate {thumbprint}; a proxy "
            "set there (Proxy_URL, ProxyPassword) cannot be seen, netcheck does not decrypt them"
        )
    else:
        sections.append(("protectedSettings", protected))
    for section, values in sections:
        if not isinstance(values, dict):
            continue
        where = f"{path} {section}"
        url = _get(values, "AutomationAccountURL")
        if isinstance(url, str) and url:
            settings.append(
                _setting("automation_account_url", url, f"{where}.AutomationAccountURL")
            )
        proxy_url = _get(values, "Proxy_URL")
        if isinstance(proxy_url, str) and proxy_url.strip():
            proxies.append(candidate(proxy_url, "extension setting", f"{where}.Proxy_URL"))
        server = _get(_get(values, "ProxySettings") or {}, "ProxyServer")
        if isinstance(server, str) and server.strip():
            proxies.append(
                candidate(server, "extension setting", f"{where}.ProxySettings.ProxyServer")
            )
    registered = True if settings else None if unknown else False
    return _ExtensionConfig(registered, tuple(settings), tuple(proxies), tuple(unknown), (path,))


def _settings_order(path: str) -> tuple[tuple[int, ...], int]:
    version = re.search(r"\d+(?:\.\d+)+", path)
    stem = PurePosixPath(path).stem
    return (
        tuple(int(n) for n in version.group(0).split(".")) if version else (),
        int(stem) if stem.isdigit() else -1,
    )


def _get(values: Any, name: str) -> Any:
    """A JSON key, any case (the settings are written by hand as often as by tools)."""
    if not isinstance(values, dict):
        return None
    return next((v for k, v in values.items() if k.casefold() == name.casefold()), None)


# ---------------------------------------------------------------- Windows


def _discover_windows(files: HostFiles, runner: Runner | None) -> Discovery:
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
        return Discovery((), looked_for)
    workers = []
    agent_keys = windows.registry(run("reg", "query", REG_AGENT_WORKER, "/s"))
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
                for key in windows.registry(run("reg", "query", REG_MMA_WORKSPACES, "/s"))
                for m in [re.search(rf"Log Analytics - ({_GUID})$", key)]
                if m
            }
        )
        settings = [
            _setting("workspace_id", ws, f"{REG_MMA_WORKSPACES}\\Log Analytics - {ws}")
            for ws in workspaces
        ]
        settings += _registry_urls(agent_keys)
        workers.append(
            Worker(
                WorkerKind.AGENT_WINDOWS,
                frozenset({Deployment.AGENT}),
                (
                    *(["service HealthService"] if health else []),
                    *([REG_AGENT_WORKER] if agent_keys else []),
                ),
                bool(agent_keys),
                tuple(settings),
                (health,) if health else (),
                unknown=(
                    "the Log Analytics agent's own proxy setting: its registry location is not "
                    "documented",
                ),
            )
        )
    extension_keys: windows.Registry = {}
    for key in REG_EXTENSION_WORKER:
        extension_keys |= windows.registry(run("reg", "query", key, "/s"))
    hybrid = _windows_service(
        "HybridWorkerService (Hybrid Worker Service)",
        run("sc", "query", "HybridWorkerService"),
        "Start it with 'Start-Service HybridWorkerService'; C:\\HybridWorkerExtensionLogs tells "
        "why it stopped.",
    )
    settings_files = files.glob(EXT_WINDOWS + "*/*/RuntimeSettings/*.settings")
    if extension_keys or hybrid is not None or settings_files:
        config = _read_settings(files, settings_files)
        workers.append(
            Worker(
                WorkerKind.EXTENSION_WINDOWS,
                frozenset({Deployment.EXTENSION}),
                (
                    *(["service HybridWorkerService"] if hybrid else []),
                    *sorted(
                        {k for k in REG_EXTENSION_WORKER for e in extension_keys if e.startswith(k)}
                    ),
                    *config.files,
                ),
                True if config.registered or extension_keys else config.registered,
                (*config.settings, *_registry_urls(extension_keys)),
                (hybrid,) if hybrid else (),
                config.proxies,
                config.unknown,
                config.files,
            )
        )
    winhttp = None
    proxy = windows.winhttp_proxy(run("netsh", "winhttp", "show", "proxy"))
    if proxy is not None:
        winhttp = candidate(proxy[0], "WinHTTP", "netsh winhttp show proxy")
    return Discovery(tuple(workers), looked_for, winhttp, tuple(outputs))


def _windows_service(name: str, sc_output: str, fix: str) -> Service | None:
    state = windows.service_state(sc_output)
    if state is None:
        return None
    status = {"RUNNING": ServiceStatus.RUNNING, "STOPPED": ServiceStatus.STOPPED}.get(
        state, ServiceStatus.UNKNOWN
    )
    short = name.split()[0]
    return Service(name, status, f"sc query {short}", f"STATE {state or 'not shown'}", fix)


def _registry_urls(keys: windows.Registry) -> list[Setting]:
    """URL values of the worker's keys: their names are not documented, their values speak."""
    return [
        _setting(_snake(name), value, f"{key}\\{name}")
        for key, values in keys.items()
        for name, value in values.items()
        if value.lower().startswith("https://")
    ]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace(" ", "_")


# ---------------------------------------------------------------- shared


def processes(files: HostFiles) -> list[Process] | None:
    """Command lines of the processes in the root's /proc; None when there is none."""
    proc = files.at("/proc")
    if not proc.is_dir():
        return None
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended, or is not ours to read
        if raw:
            found.append(
                Process(entry.name, raw.replace(b"\0", b" ").decode(errors="replace").strip())
            )
    return sorted(found, key=lambda p: int(p.pid))


def _service(
    name: str,
    units: list[str],
    markers: tuple[str, ...],
    files: HostFiles,
    runner: Runner | None,
    procs: list[Process] | None,
    fix: str,
) -> Service:
    """systemd's word when there is a runner and the unit is loaded, else a process scan."""
    if runner is not None:
        for unit in units:
            # `show` rather than `is-active`: is-active says "inactive" for a unit that does not
            # exist, and only LoadState tells the two apart.
            state = _systemd_state(
                runner(["systemctl", "show", "--property=LoadState,ActiveState", unit])
            )
            if state is not None and state[0] == "loaded":
                status = {
                    "active": ServiceStatus.RUNNING,
                    "reloading": ServiceStatus.RUNNING,
                    "activating": ServiceStatus.UNKNOWN,
                }.get(state[1], ServiceStatus.STOPPED)
                return Service(
                    name, status, f"systemctl show {unit}", f"ActiveState={state[1]}", fix
                )
    if procs is None:
        return Service(name, ServiceStatus.UNKNOWN, "process scan", "no /proc below the root", fix)
    hits = [p for p in procs if any(m in p.command for m in markers)]
    how = f"process scan of /proc for {' or '.join(markers)}"
    if not hits:
        return Service(name, ServiceStatus.STOPPED, how, "no such process", fix)
    detail = "; ".join(f"pid {p.pid}: {redact_text(p.command)[:200]}" for p in hits[:3])
    return Service(name, ServiceStatus.RUNNING, how, detail, fix)


def _systemd_state(output: str | None) -> tuple[str, str] | None:
    if not output:
        return None
    values = dict(_key_values(output))
    if "LoadState" not in values or "ActiveState" not in values:
        return None  # no systemd here ("System has not been booted with systemd")
    return values["LoadState"], values["ActiveState"]


def _has_user(files: HostFiles, user: str) -> bool:
    text = files.read("/etc/passwd") or ""
    return any(line.split(":", 1)[0] == user for line in text.splitlines())


def _key_values(text: str) -> Iterable[tuple[str, str]]:
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            yield key.strip(), value.strip().strip("\"'")


def _ini(text: str | None) -> configparser.ConfigParser | None:
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


def _setting(name: str, value: str, source: str) -> Setting:
    return Setting(name, redact_text(value), source)


# ---------------------------------------------------------------- verdicts


def judge(discovery: Discovery, root: str) -> list[Finding]:
    if not discovery.workers:
        return [
            finding(
                "AGENT_NOT_INSTALLED",
                f"no Hybrid Runbook Worker was found below {root}",
                looked_for=list(discovery.looked_for),
            )
        ]
    found = []
    for worker in discovery.workers:
        kind = worker.kind.value
        if worker.registered is False:
            found.append(
                finding(
                    "AGENT_WORKER_NOT_REGISTERED",
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
                        "AGENT_SERVICE_STOPPED",
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
                    "AGENT_SETTINGS_UNREADABLE",
                    f"part of the {kind} configuration cannot be read: "
                    + "; ".join(worker.unknown),
                    kind=kind,
                    unknown=list(worker.unknown),
                )
            )
        if worker.kind in (WorkerKind.AGENT_LINUX, WorkerKind.AGENT_WINDOWS):
            found.append(
                finding(
                    "AGENT_BASED_RETIRED",
                    f"this is an agent-based worker ({kind}); that worker type and the Log "
                    "Analytics agent it runs on are retired since 31 August 2024",
                    kind=kind,
                )
            )
    return found
