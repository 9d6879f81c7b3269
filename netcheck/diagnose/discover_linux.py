"""Linux workers below a root: agent-based (the Log Analytics agent omsagent, user nxautomation)
and extension-based (hwd.service, user hweautomation, the extension's settings under waagent)."""

from __future__ import annotations

import configparser
import shlex

from netcheck.commands import Runner
from netcheck.diagnose.discovery_model import Discovery, Process, Setting, Worker, WorkerKind
from netcheck.diagnose.extension_settings import read_settings
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.proxy_choice import candidate
from netcheck.diagnose.services import key_values, processes, service_status
from netcheck.models import Deployment

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


def discover_linux(files: HostFiles, runner: Runner | None) -> Discovery:
    """Every worker installed below the root. `runner` runs systemctl and is given only when
    the root is the live system's; without it, service states come from the root's /proc."""
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
    return Discovery(workers=tuple(found), looked_for=looked_for)


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
        values = dict(key_values(text))
        for key, name in (
            ("WORKSPACE_ID", "workspace_id"),
            ("AGENT_GUID", "agent_id"),
            ("OMS_ENDPOINT", "oms_endpoint"),
            ("DSC_ENDPOINT", "dsc_endpoint"),
            ("URL_TLD", "url_tld"),
        ):
            if values.get(key):
                settings.append(Setting.redacted(name, values[key], f"{path} {key}"))
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
                settings.append(Setting.redacted(name, value, f"{path} [{section}] {key}"))
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
        service_status(
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
            service_status(
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
        kind=WorkerKind.AGENT_LINUX,
        deployments=frozenset(deployments),
        found=tuple(found),
        registered=bool(confs),
        settings=tuple(settings),
        services=tuple(services),
        proxies=tuple(proxies),
        unknown=tuple(unknown),
        files=tuple(dict.fromkeys(read)),
    )


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
    config = read_settings(
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
    service = service_status(
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
        kind=WorkerKind.EXTENSION_LINUX,
        deployments=frozenset({Deployment.EXTENSION}),
        found=tuple(found),
        registered=config.registered,
        settings=config.settings,
        services=(service,),
        proxies=tuple(proxies),
        unknown=config.unknown,
        files=tuple(dict.fromkeys(read)),
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


def _has_user(files: HostFiles, user: str) -> bool:
    text = files.read("/etc/passwd") or ""
    return any(line.split(":", 1)[0] == user for line in text.splitlines())


def _ini(text: str | None) -> configparser.ConfigParser | None:
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser
