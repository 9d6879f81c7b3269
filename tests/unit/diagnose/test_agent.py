"""Worker discovery on fabricated installs: agent-based and extension-based Linux, services
from /proc or systemctl (Windows: test_windows_discovery.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from netcheck.catalogue import load_catalogue
from netcheck.commands import Completed, Runner
from netcheck.diagnose import scope
from netcheck.diagnose.discover_linux import discover_linux
from netcheck.diagnose.discovery_model import Discovery, ServiceStatus, Worker, WorkerKind
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.verdicts import judge
from netcheck.models import Catalogue, Deployment

from .builders import (
    ACCOUNT,
    AGENT_GUID,
    EXTENSION_DIR,
    WORKSPACE,
    HostBuilder,
)

DATA = Path(__file__).parents[1] / "data" / "diagnose"


@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    return load_catalogue(None)


def value(worker: Worker, name: str) -> str | None:
    return next((s.value for s in worker.settings if s.name == name), None)


def discover(root: Path, runner: Runner | None = None) -> Discovery:
    return discover_linux(HostFiles(root), runner)


def codes(discovery: Discovery, root: Path) -> set[str]:
    return {f.code for f in judge(discovery, str(root))}


# ---------------------------------------------------------------- agent-based Linux


def test_healthy_agent_based_linux_worker(tmp_path: Path, shipped: Catalogue) -> None:
    HostBuilder(tmp_path).machine("ubuntu", "18.04", "Ubuntu 18.04.6 LTS").agent_based()
    found = discover(tmp_path)
    (worker,) = found.workers
    assert worker.kind is WorkerKind.AGENT_LINUX
    assert worker.registered is True
    assert worker.deployments == frozenset({Deployment.AGENT})
    assert value(worker, "workspace_id") == WORKSPACE
    assert value(worker, "agent_id") == AGENT_GUID
    assert value(worker, "account_id") == ACCOUNT
    assert value(worker, "jrds_url") == "https://we-jobruntimedata-prod-su1.azure-automation.net"
    jrds = next(s for s in worker.settings if s.name == "jrds_url")
    assert jrds.source.endswith("diy/worker.conf [worker-required] jrds_base_uri")
    assert [s.status for s in worker.services] == [ServiceStatus.RUNNING] * 2
    assert "pid 101" in (worker.services[0].detail or "")
    assert worker.proxies == ()
    assert not any(f.endswith(".key") for f in worker.files)
    # the only verdict on a healthy agent-based worker is its retirement
    assert codes(found, tmp_path) == {"AGENT_BASED_RETIRED"}
    where = scope.scope_for(found, shipped, None)
    assert where.selection is not None
    assert where.selection.region.name == "westeurope"
    assert (where.selection.workspace_id, where.selection.account_id) == (WORKSPACE, ACCOUNT)
    assert "jrds_base_uri" in (where.region_source or "")


def test_agent_based_proxy_conf_and_its_legacy_path(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine().agent_based(
        proxy="https://user01:S3cr3t@proxy01.contoso.com:30443", legacy_proxy_path=True
    )
    (worker,) = discover(tmp_path).workers
    (proxy,) = worker.proxies
    assert proxy.location == "/etc/opt/microsoft/omsagent/conf/proxy.conf"
    assert proxy.shown == "https://user01:***@proxy01.contoso.com:30443"
    assert proxy.settings is None and "https://" in (proxy.problem or "")


def test_the_new_proxy_path_wins_over_the_legacy_one(tmp_path: Path) -> None:
    builder = HostBuilder(tmp_path).machine().agent_based(proxy="proxy.new:3128")
    builder.write("/etc/opt/microsoft/omsagent/conf/proxy.conf", "proxy.legacy:3128\n")
    (worker,) = discover(tmp_path).workers
    (proxy,) = worker.proxies
    assert proxy.settings is not None and proxy.settings.host == "proxy.new"


def test_stopped_agent_based_worker(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine().agent_based(running=False)
    found = discover(tmp_path)
    assert [s.status for s in found.workers[0].services] == [ServiceStatus.STOPPED] * 2
    stopped = [f for f in judge(found, "/") if f.code == "AGENT_SERVICE_STOPPED"]
    assert len(stopped) == 2
    assert "service_control restart" in stopped[0].remediation


def test_agent_installed_without_a_worker_registration(tmp_path: Path) -> None:
    builder = HostBuilder(tmp_path).machine().agent_based()
    (tmp_path / "var/opt/microsoft/omsagent/state/automationworker/diy/worker.conf").unlink()
    found = discover(tmp_path)
    assert found.workers[0].registered is False
    assert [s.name for s in found.workers[0].services] == ["omsagent (Log Analytics agent)"]
    assert "AGENT_WORKER_NOT_REGISTERED" in codes(found, builder.root)


# ---------------------------------------------------------------- extension-based Linux


def test_extension_based_worker_with_a_proxy_in_its_settings(
    tmp_path: Path, shipped: Catalogue
) -> None:
    HostBuilder(tmp_path).machine().extension_based(
        public={"Proxy_URL": "http://hrw:Ext-Pa55@proxy.corp:3128"}
    )
    found = discover(tmp_path)
    (worker,) = found.workers
    assert worker.kind is WorkerKind.EXTENSION_LINUX
    assert worker.deployments == frozenset({Deployment.EXTENSION})
    assert worker.registered is True
    assert "/lib/systemd/system/hwd.service" in worker.found
    assert worker.services[0].status is ServiceStatus.RUNNING
    (proxy,) = worker.proxies
    assert proxy.location == f"{EXTENSION_DIR}/config/0.settings publicSettings.Proxy_URL"
    assert proxy.settings is not None and proxy.settings.password == "Ext-Pa55"
    assert proxy.shown == "http://hrw:***@proxy.corp:3128"
    assert codes(found, tmp_path) == set()
    where = scope.scope_for(found, shipped, None)
    assert where.selection is not None
    assert where.selection.region.name == "westeurope"
    assert where.selection.account_id == ACCOUNT
    assert where.selection.deployments == frozenset({Deployment.EXTENSION})


def test_encrypted_protected_settings_are_unknown_and_said_so(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine().extension_based(protected="MIIB8wYJKoZIhvcNAQcDoIIB5DCCAeA=")
    found = discover(tmp_path)
    (worker,) = found.workers
    (unknown,) = worker.unknown
    assert "encrypted" in unknown and "3C2B1A09F8E7D6C5B4A3928170F6E5D4C3B2A190" in unknown
    assert codes(found, tmp_path) == {"AGENT_SETTINGS_UNREADABLE"}


def test_plain_protected_settings_are_read(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine().extension_based(
        protected={"Proxy_URL": "http://proxy.corp:8080"}
    )
    (worker,) = discover(tmp_path).workers
    assert [p.location.rsplit(" ", 1)[1] for p in worker.proxies] == ["protectedSettings.Proxy_URL"]


def test_the_newest_settings_file_is_read(tmp_path: Path) -> None:
    builder = HostBuilder(tmp_path).machine().extension_based()
    newer = f"https://{ACCOUNT}.jrds.ne.azure-automation.net/automationAccounts/{ACCOUNT}"
    builder.write(
        f"{EXTENSION_DIR}/config/2.settings",
        '{"runtimeSettings": [{"handlerSettings": {"publicSettings": '
        f'{{"AutomationAccountURL": "{newer}"}}}}}}]}}',
    )
    (worker,) = discover(tmp_path).workers
    assert value(worker, "automation_account_url") == newer


def test_a_proxy_in_the_hwd_unit_environment(tmp_path: Path) -> None:
    builder = HostBuilder(tmp_path).machine().extension_based()
    builder.write(
        "/etc/systemd/system/hwd.service.d/proxy.conf",
        '[Service]\nEnvironment="https_proxy=http://unit-proxy:3128" "NO_PROXY=localhost"\n',
    )
    (worker,) = discover(tmp_path).workers
    (proxy,) = worker.proxies
    assert proxy.source == "hwd.service Environment="
    assert proxy.settings is not None and proxy.settings.host == "unit-proxy"


def test_stopped_extension_worker(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine().extension_based(running=False)
    found = discover(tmp_path)
    (stopped,) = judge(found, "/")
    assert stopped.code == "AGENT_SERVICE_STOPPED"
    assert "systemctl restart hwd" in stopped.remediation


def test_systemctl_decides_when_a_runner_is_given(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine().extension_based(running=True)
    asked: list[Sequence[str]] = []

    def systemctl(argv: Sequence[str]) -> Completed | None:
        asked.append(argv)
        return Completed(0, "LoadState=loaded\nActiveState=failed\n")

    (worker,) = discover(tmp_path, systemctl).workers
    assert asked == [["systemctl", "show", "--property=LoadState,ActiveState", "hwd"]]
    service = worker.services[0]
    assert (service.status, service.how) == (ServiceStatus.STOPPED, "systemctl show hwd")


def test_without_systemd_the_process_table_decides(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine().extension_based(running=True)
    no_systemd = "System has not been booted with systemd as init system (PID 1).\n"
    (worker,) = discover(tmp_path, lambda argv: Completed(1, no_systemd)).workers
    assert worker.services[0].status is ServiceStatus.RUNNING
    assert worker.services[0].how.startswith("process scan")


def test_no_process_table_means_unknown(tmp_path: Path) -> None:
    builder = HostBuilder(tmp_path).machine().extension_based(running=False)
    for entry in sorted((builder.root / "proc").rglob("*"), reverse=True):
        entry.unlink() if entry.is_file() else entry.rmdir()
    (builder.root / "proc").rmdir()
    (worker,) = discover(tmp_path).workers
    assert worker.services[0].status is ServiceStatus.UNKNOWN


def test_nothing_installed(tmp_path: Path, shipped: Catalogue) -> None:
    HostBuilder(tmp_path).machine()
    found = discover(tmp_path)
    assert found.workers == ()
    (missing,) = judge(found, "/mnt/image")
    assert missing.code == "AGENT_NOT_INSTALLED" and "/mnt/image" in missing.message
    assert len(missing.evidence["looked_for"]) == 2
    where = scope.scope_for(found, shipped, None)
    assert where.selection is None and where.problem is not None
    assert [f.code for f in scope.judge(where)] == ["AGENT_REGION_UNKNOWN"]


def test_region_override_when_nothing_names_it(tmp_path: Path, shipped: Catalogue) -> None:
    HostBuilder(tmp_path).machine()
    where = scope.scope_for(discover(tmp_path), shipped, "northeurope")
    assert where.selection is not None and where.region_source == "--region"
    assert where.selection.deployments == frozenset({Deployment.AGENT, Deployment.EXTENSION})


def test_region_of_a_host(shipped: Catalogue) -> None:
    region = scope.region_of_host
    assert region(f"{ACCOUNT}.jrds.ne.azure-automation.net", shipped).name == "northeurope"  # type: ignore[union-attr]
    assert region("we-agentservice-prod-1.azure-automation.net", shipped).name == "westeurope"  # type: ignore[union-attr]
    assert region("example.com", shipped) is None
