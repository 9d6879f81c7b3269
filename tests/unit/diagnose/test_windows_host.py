"""Windows host facts from a fake registry (64-bit view): OS and build, SCHANNEL's TLS 1.2
client setting and .NET's SchUseStrongCrypto, which HOST_TLS_UNSUPPORTED judges on Windows
instead of Python's OpenSSL; 4502 events; the root's default and its comparison."""

from __future__ import annotations

from pathlib import Path

import pytest

from netcheck.diagnose import host
from netcheck.diagnose.hostfs import HostFiles, default_root, is_system_root
from netcheck.diagnose.windows_events import QUERY, read_4502
from netcheck.diagnose.windows_host import (
    CURRENT_VERSION,
    DOTNET_KEYS,
    TLS12_CLIENT,
    gather_windows,
)
from netcheck.diagnose.windows_registry import WinRegistry

from .winfakes import EVENT_4502_TEXT, FakeWinreg, View, dw, event_xml, recorded, sz

# Python's own OpenSSL is modern here: on Windows it must not be what decides.
OPENSSL = host.TlsLibrary("OpenSSL 3.0.13", tls1_2=True, tls1_3=True)
SERVER_2022: View = {
    CURRENT_VERSION: {
        "ProductName": sz("Windows Server 2022 Datacenter"),
        "DisplayVersion": sz("21H2"),
        "CurrentBuildNumber": sz("20348"),
        "UBR": dw(2340),
    }
}


def facts(tmp_path: Path, view: View) -> host.HostFacts:
    return gather_windows(HostFiles(tmp_path), WinRegistry(FakeWinreg(view)), OPENSSL, 4)


def codes(found: list[object]) -> list[str]:
    return [f.code for f in found]  # type: ignore[attr-defined]


def test_os_name_and_build(tmp_path: Path) -> None:
    got = facts(tmp_path, SERVER_2022)
    assert got.os == host.OsInfo(
        "windows",
        "20348.2340",
        "Windows Server 2022 Datacenter 21H2 (build 20348.2340)",
        CURRENT_VERSION,
    )
    assert got.disk_path == str(tmp_path) and got.disk_free_bytes is not None
    assert got.windows_tls is not None and got.windows_tls.tls12_client == "enabled (OS default)"
    assert host.judge(got, ("agent-based",)) == []  # no Linux OS list for Windows


def test_tls12_disabled_in_schannel_fails_although_openssl_speaks_it(tmp_path: Path) -> None:
    view = {**SERVER_2022, TLS12_CLIENT: {"Enabled": dw(0), "DisabledByDefault": dw(1)}}
    (found,) = host.judge(facts(tmp_path, view), ())
    assert found.code == "HOST_TLS_UNSUPPORTED" and "Enabled=0" in found.message


def test_windows_2008_r2_without_explicit_tls12_fails(tmp_path: Path) -> None:
    view: View = {
        CURRENT_VERSION: {
            "ProductName": sz("Windows Server 2008 R2"),
            "CurrentBuildNumber": sz("7601"),
        }
    }
    got = facts(tmp_path, view)
    assert got.windows_tls is not None and got.windows_tls.tls12_client == "disabled (OS default)"
    assert codes(host.judge(got, ())) == ["HOST_TLS_UNSUPPORTED"]


@pytest.mark.parametrize("key", [DOTNET_KEYS[0], DOTNET_KEYS[1]])  # 64- and 32-bit .NET 4
def test_strong_crypto_switched_off_fails(tmp_path: Path, key: str) -> None:
    view = {**SERVER_2022, key: {"SchUseStrongCrypto": dw(0)}}
    (found,) = host.judge(facts(tmp_path, view), ())
    assert found.code == "HOST_TLS_UNSUPPORTED" and key in found.message


def test_disabled_by_default_passes_when_dotnet_asks_for_strong_crypto(tmp_path: Path) -> None:
    view = {
        **SERVER_2022,
        TLS12_CLIENT: {"Enabled": dw(1), "DisabledByDefault": dw(1)},
        DOTNET_KEYS[0]: {"SchUseStrongCrypto": dw(1)},
    }
    assert host.judge(facts(tmp_path, view), ()) == []
    del view[DOTNET_KEYS[0]]
    assert codes(host.judge(facts(tmp_path, view), ())) == ["HOST_TLS_UNSUPPORTED"]


def test_a_value_of_the_wrong_type_is_a_finding_with_the_raw_value(tmp_path: Path) -> None:
    view = {**SERVER_2022, TLS12_CLIENT: {"Enabled": sz("yes")}}
    got = facts(tmp_path, view)
    (found,) = host.judge(got, ())
    assert found.code == "HOST_SETTING_UNREADABLE"
    assert found.evidence["raw"] == "yes" and found.evidence["where"].endswith("Client\\Enabled")


def test_an_offline_disk_has_the_disk_but_no_registry_facts(tmp_path: Path) -> None:
    got = gather_windows(HostFiles(tmp_path), None, OPENSSL, None)
    assert got.os is None and got.windows_tls is None and got.disk_free_bytes is not None
    assert host.judge(got, ()) == []  # OpenSSL is not the worker's TLS stack there either


# ---------------------------------------------------------------- event 4502


def test_event_4502_becomes_log_lines() -> None:
    xml = event_xml(
        (4502, "Health Service Modules", "2025-03-02T08:00:00Z", [EVENT_4502_TEXT.format(ws="w2")]),
        (4502, "HealthService", "2025-03-01T08:00:00Z", ["second"]),
    )
    lines, problems = read_4502(recorded({QUERY: (0, xml.encode("cp850"))}))
    assert problems == []
    assert [line.time for line in lines] == ["2025-03-01T08:00:00Z", "2025-03-02T08:00:00Z"]
    assert lines[-1].code == "LOG_TLS_INTERCEPTION"
    assert "w2.oms.opinsights.azure.com" in lines[-1].text


def test_no_operations_manager_log_is_nothing() -> None:
    # 15007 = ERROR_EVT_CHANNEL_NOT_FOUND: no Log Analytics agent ever ran here
    assert read_4502(recorded({QUERY: (15007, "")})) == ([], [])


@pytest.mark.parametrize(("status", "output"), [(5, "Access is denied."), (0, "<Events><Ev")])
def test_an_unreadable_event_log_is_a_problem_with_the_raw_output(status: int, output: str) -> None:
    lines, (problem,) = read_4502(recorded({QUERY: (status, output)}))
    assert lines == [] and problem.raw == output and problem.what == "event 4502"


def test_the_query_filters_on_the_event_number_as_xml() -> None:
    assert QUERY[:3] == ("wevtutil", "qe", "Operations Manager")
    assert "/q:*[System[(EventID=4502)]]" in QUERY and "/f:xml" in QUERY and "/rd:true" in QUERY


# ---------------------------------------------------------------- --root


def test_the_default_root_on_windows_is_the_system_drive() -> None:
    assert default_root("win32", {"SystemDrive": "D:"}) == "D:\\"
    assert default_root("win32", {}) == "C:\\"
    assert default_root("linux", {"SystemDrive": "D:"}) == "/"


def test_the_system_root_compares_as_a_windows_path() -> None:
    env = {"SystemDrive": "C:"}

    def live(root: str) -> bool:
        return is_system_root(root, "win32", env, absolute=lambda p: p)

    assert live("C:\\") and live("c:\\") and live("C:/")
    assert not live("D:\\")  # the current drive is not the system drive
    assert not live("C:\\mnt\\worker")
    assert is_system_root("/", "linux", {}) and not is_system_root("/tmp", "linux", {})
