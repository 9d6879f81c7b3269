"""The Windows parsers on recorded command output (sc query, reg query, netsh winhttp)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netcheck.diagnose import windows_output

DATA = Path(__file__).parents[1] / "data" / "diagnose"


def recorded(name: str) -> str:
    return (DATA / f"{name}.txt").read_bytes().decode()


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("sc_query_healthservice_running", "RUNNING"),
        ("sc_query_healthservice_stopped", "STOPPED"),
        ("sc_query_hybridworkerservice_running", "RUNNING"),
        ("sc_query_hybridworkerservice_stopped", "STOPPED"),
        ("sc_query_not_installed", None),
    ],
)
def test_service_state(name: str, state: str | None) -> None:
    assert windows_output.service_state(recorded(name)) == state


def test_service_state_of_unexpected_output() -> None:
    assert windows_output.service_state("Access is denied.") == ""


def test_registry_keys_and_values() -> None:
    keys = windows_output.registry(recorded("reg_query_hybridrunbookworker"))
    root = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\HybridRunbookWorker"
    assert list(keys) == [root, root + r"\4f3e2d1c-0b9a-8765-4321-0fedcba98765"]
    assert keys[root] == {"RunbookWorkerGroup": "win-group", "(Default)": ""}
    sub = keys[root + r"\4f3e2d1c-0b9a-8765-4321-0fedcba98765"]
    assert (
        sub["JobRuntimeDataServiceUri"] == "https://we-jobruntimedata-prod-su1.azure-automation.net"
    )


def test_registry_value_names_with_spaces() -> None:
    keys = windows_output.registry(recorded("reg_query_service_connector_services"))
    (workspace,) = [k for k in keys if k.endswith("1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b")]
    assert keys[workspace]["Azure Cloud Type"] == "0x0"
    assert keys[workspace]["Workspace Id"] == "1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"


def test_missing_registry_key() -> None:
    assert windows_output.registry(recorded("reg_query_not_found")) == {}


def test_winhttp_proxy_per_scheme_takes_the_https_entry() -> None:
    assert windows_output.winhttp_proxy(recorded("netsh_winhttp_proxy")) == (
        "secure-proxy.contoso.com:8443",
        "<local>;*.contoso.com",
    )


def test_winhttp_single_proxy_and_direct_access() -> None:
    single = "Current WinHTTP proxy settings:\r\n\r\n    Proxy Server(s) :  proxy:8080\r\n"
    assert windows_output.winhttp_proxy(single) == ("proxy:8080", None)
    assert windows_output.winhttp_proxy(recorded("netsh_winhttp_direct")) is None
