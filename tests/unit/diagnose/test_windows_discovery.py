"""Windows discovery through the registry's 64-bit view (a fake winreg), `sc query` by numbers
(recorded output in English, German and French), the machine's proxy settings in the order the
worker sees them, and an offline Windows disk read without commands."""

from __future__ import annotations

from pathlib import Path

from netcheck.diagnose.discover_windows import (
    EXT_WINDOWS,
    REG_AGENT_WORKER,
    REG_MMA_WORKSPACES,
    discover_windows,
)
from netcheck.diagnose.discovery_model import Discovery, ServiceStatus, WorkerKind
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.verdicts import judge
from netcheck.diagnose.windows_proxy import LOCAL_SYSTEM_KEY, MACHINE_KEY, POLICY_KEY, WINHTTP_KEY
from netcheck.diagnose.windows_registry import WinRegistry

from ..conftest import Netcheck
from .builders import ACCOUNT, WORKSPACE, HostBuilder
from .winfakes import (
    FakeWinreg,
    View,
    binary,
    connection_blob,
    dw,
    recorded,
    sz,
    winhttp_blob,
)

JRDS = "https://we-jobruntimedata-prod-su1.azure-automation.net"
AGENT_KEYS: View = {
    REG_AGENT_WORKER: {"RunbookWorkerGroup": sz("win-group")},
    rf"{REG_AGENT_WORKER}\{ACCOUNT}": {
        "JobRuntimeDataServiceUri": sz(JRDS),
        "Thumbprint": sz("0123456789ABCDEF0123456789ABCDEF01234567"),
    },
    rf"{REG_MMA_WORKSPACES}\Log Analytics - {WORKSPACE}": {"Workspace Id": sz(WORKSPACE)},
}
RUNNING = ("sc", "query", "HealthService")
HYBRID = ("sc", "query", "HybridWorkerService")


def discover(root: Path, view64: View, view32: View | None = None, **answers: object) -> Discovery:
    runner = recorded(
        {
            RUNNING: answers.get("health", (1060, "sc_query_not_installed_de.cp850")),  # type: ignore[dict-item]
            HYBRID: answers.get("hybrid", (1060, "sc_query_not_installed_fr.cp850")),  # type: ignore[dict-item]
        }
    )
    return discover_windows(HostFiles(root), WinRegistry(FakeWinreg(view64, view32)), runner)


def test_a_registered_agent_worker_through_the_64_bit_view(tmp_path: Path) -> None:
    # As on a 32-bit Python: the worker's keys exist in the 64-bit view only.
    found = discover(tmp_path, AGENT_KEYS, {}, health=(0, "sc_query_healthservice_running.txt"))
    (worker,) = found.workers
    assert worker.kind is WorkerKind.AGENT_WINDOWS and worker.registered is True
    assert worker.services[0].status is ServiceStatus.RUNNING
    assert worker.services[0].detail == "STATE 4 (RUNNING)"
    settings = {s.name: s.value for s in worker.settings}
    assert settings["workspace_id"] == WORKSPACE
    assert settings["job_runtime_data_service_uri"] == JRDS
    assert "thumbprint" not in settings  # only URLs are read from undocumented values


def test_every_key_is_opened_with_key_wow64_64key(tmp_path: Path) -> None:
    fake = FakeWinreg(AGENT_KEYS)
    discover_windows(HostFiles(tmp_path), WinRegistry(fake), None)
    assert fake.opened and all(access & fake.KEY_WOW64_64KEY for _, access in fake.opened)


def test_german_and_french_not_installed_is_not_installed(tmp_path: Path) -> None:
    found = discover(tmp_path, {})
    assert found.workers == ()
    assert [f.code for f in judge(found, "C:\\")] == ["AGENT_NOT_INSTALLED"]


def test_a_stopped_service_on_a_french_server(tmp_path: Path) -> None:
    found = discover(
        tmp_path,
        {r"HKLM\SOFTWARE\Microsoft\HybridRunbookWorkerV2\abc": {"X": sz("y")}},
        hybrid=(0, "sc_query_hybridworkerservice_stopped_fr.cp850"),
    )
    (worker,) = found.workers
    assert worker.kind is WorkerKind.EXTENSION_WINDOWS
    (stopped,) = [f for f in judge(found, "C:\\") if f.code == "AGENT_SERVICE_STOPPED"]
    assert "STATE 1 (STOPPED)" in stopped.message
    assert "Start-Service HybridWorkerService" in stopped.remediation


def test_winhttp_proxy_with_its_bypass_list(tmp_path: Path) -> None:
    view: View = {
        WINHTTP_KEY: {
            "WinHttpSettings": binary(
                winhttp_blob(
                    "http=p:80;https=secure-proxy.contoso.com:8443", "<local>;*.contoso.com"
                )
            )
        }
    }
    (winhttp,) = discover(tmp_path, view).machine_proxies
    assert (winhttp.source, winhttp.shown) == ("WinHTTP", "secure-proxy.contoso.com:8443")
    assert winhttp.bypass == ("<local>", "*.contoso.com")
    assert winhttp.location.endswith(r"Connections\WinHttpSettings")


def test_winhttp_direct_is_no_proxy(tmp_path: Path) -> None:
    view: View = {WINHTTP_KEY: {"WinHttpSettings": binary(winhttp_blob())}}
    assert discover(tmp_path, view).machine_proxies == ()


def test_a_corrupt_winhttp_value_is_a_finding_with_its_bytes(tmp_path: Path) -> None:
    view: View = {WINHTTP_KEY: {"WinHttpSettings": binary(bytes.fromhex("18000000 0000"))}}
    found = discover(tmp_path, view)
    (unreadable,) = [f for f in judge(found, "C:\\") if f.code == "HOST_SETTING_UNREADABLE"]
    assert unreadable.evidence["raw"] == "18 00 00 00 00 00"
    assert "WinHttpSettings" in unreadable.evidence["where"]


def test_winhttp_of_the_wrong_type_is_a_finding(tmp_path: Path) -> None:
    view: View = {WINHTTP_KEY: {"WinHttpSettings": sz("proxy:8080")}}
    (unreadable,) = discover(tmp_path, view).problems
    assert unreadable.raw == "proxy:8080" and "REG_BINARY" in unreadable.why


def test_local_system_pac_after_winhttp(tmp_path: Path) -> None:
    view: View = {
        WINHTTP_KEY: {"WinHttpSettings": binary(winhttp_blob("winhttp.corp:8080"))},
        rf"{LOCAL_SYSTEM_KEY}\Connections": {
            "DefaultConnectionSettings": binary(
                connection_blob(1 | 4, pac_url="http://pac.corp/proxy.pac")
            )
        },
    }
    winhttp, pac = discover(tmp_path, view).machine_proxies
    assert winhttp.source == "WinHTTP"
    assert (pac.source, pac.pac) == ("LocalSystem's WinINET", "http://pac.corp/proxy.pac")
    assert pac.location.startswith(r"HKU\S-1-5-18")


def test_local_system_plain_values_wpad_pac_and_manual_proxy(tmp_path: Path) -> None:
    view: View = {
        LOCAL_SYSTEM_KEY: {
            "AutoDetect": dw(1),
            "AutoConfigURL": sz("http://pac.corp/p.pac"),
            "ProxyEnable": dw(1),
            "ProxyServer": sz("sys-proxy.corp:3128"),
            "ProxyOverride": sz("*.local;<local>"),
        }
    }
    wpad, pac, manual = discover(tmp_path, view).machine_proxies
    assert (wpad.pac, pac.pac) == ("WPAD", "http://pac.corp/p.pac")
    assert manual.shown == "sys-proxy.corp:3128" and manual.bypass == ("*.local", "<local>")


def test_proxy_settings_per_user_zero_reads_the_machine_wide_settings(tmp_path: Path) -> None:
    view: View = {
        POLICY_KEY: {"ProxySettingsPerUser": dw(0)},
        MACHINE_KEY: {"ProxyEnable": dw(1), "ProxyServer": sz("machine-proxy:8080")},
        LOCAL_SYSTEM_KEY: {"ProxyEnable": dw(1), "ProxyServer": sz("per-user:8080")},
    }
    (proxy,) = discover(tmp_path, view).machine_proxies
    assert proxy.shown == "machine-proxy:8080" and "ProxySettingsPerUser=0" in proxy.source


def test_offline_disk_reads_the_extension_settings_without_commands(tmp_path: Path) -> None:
    url = f"https://{ACCOUNT}.jrds.we.azure-automation.net/automationAccounts/{ACCOUNT}"
    HostBuilder(tmp_path).write(
        f"{EXT_WINDOWS}/1.1.13/RuntimeSettings/0.settings",
        '{"runtimeSettings": [{"handlerSettings": {"publicSettings": '
        f'{{"AutomationAccountURL": "{url}", '
        '"ProxySettings": {"ProxyServer": "http://win-proxy.corp:8080"}}}}]}',
    )
    found = discover_windows(HostFiles(tmp_path), None, None)
    (worker,) = found.workers
    assert worker.kind is WorkerKind.EXTENSION_WINDOWS and worker.services == ()
    assert [p.shown for p in worker.proxies] == ["http://win-proxy.corp:8080"]
    assert found.outputs == ()


def test_an_unreadable_key_is_unknown_not_a_crash(tmp_path: Path) -> None:
    fake = FakeWinreg(AGENT_KEYS, denied={REG_MMA_WORKSPACES.lower()})
    runner = recorded({RUNNING: (0, "sc_query_healthservice_running.txt")})
    (worker,) = discover_windows(HostFiles(tmp_path), WinRegistry(fake), runner).workers
    assert any("Access is denied" in u for u in worker.unknown)


def test_an_offline_windows_disk_mounted_on_linux_is_read_as_windows(
    netcheck: Netcheck, tmp_path: Path
) -> None:
    """Fails on the code before issue 10: off Windows, a Windows disk was read as Linux and
    its extension worker was never found."""
    import json

    (tmp_path / "Windows" / "System32").mkdir(parents=True)
    url = f"https://{ACCOUNT}.jrds.we.azure-automation.net/automationAccounts/{ACCOUNT}"
    HostBuilder(tmp_path).write(
        f"{EXT_WINDOWS}/1.1.13/RuntimeSettings/0.settings",
        '{"runtimeSettings": [{"handlerSettings": {"publicSettings": '
        f'{{"AutomationAccountURL": "{url}"}}}}}}]}}',
    )
    run = netcheck(
        "diagnose",
        "--root",
        str(tmp_path),
        "--dns-server",
        "127.0.0.1",
        "--timeout",
        "0.3",
        "--format",
        "json",
    )
    assert run.code in (0, 1), run.err
    agent = json.loads(run.out)["agent"]
    assert [w["kind"] for w in agent["workers"]] == ["extension-based-windows"]
    assert agent["region"] == "westeurope"
