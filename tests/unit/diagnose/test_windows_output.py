"""Windows output judged by numbers, in English, German and French (cp850 bytes): `sc query`,
the binary WinHTTP and WinINET proxy values, and wevtutil's XML. Formats: winfakes.py and
tests/unit/data/diagnose/README.md."""

from __future__ import annotations

import pytest

from netcheck.commands import Completed, decode_console
from netcheck.diagnose import windows_output as wo

from .winfakes import DATA, EVENT_4502_TEXT, connection_blob, event_xml, winhttp_blob


def sc(name: str, status: int, encoding: str = "cp437") -> Completed:
    return Completed(status, decode_console((DATA / name).read_bytes(), encoding))


@pytest.mark.parametrize(
    ("name", "status", "installed", "state"),
    [
        ("sc_query_healthservice_running.txt", 0, True, 4),
        ("sc_query_healthservice_stopped.txt", 0, True, 1),
        ("sc_query_hybridworkerservice_stopped_fr.cp850", 0, True, 1),
        ("sc_query_not_installed.txt", 1060, False, None),
        # German and French servers translate the error line, not the number
        ("sc_query_not_installed_de.cp850", 1060, False, None),
        ("sc_query_not_installed_fr.cp850", 1060, False, None),
    ],
)
def test_sc_query_by_numbers(name: str, status: int, installed: bool, state: int | None) -> None:
    query = wo.service_query(sc(name, status, "cp850"))
    assert (query.installed, query.state) == (installed, state)


def test_the_1060_line_alone_says_not_installed_whatever_the_exit_status() -> None:
    # sc's exit status is 1060 in third-party captures only; the "[SC] ... 1060" line decides too
    assert not wo.service_query(sc("sc_query_not_installed_de.cp850", 0, "cp850")).installed


def test_cp850_bytes_are_decoded_with_the_oem_code_page() -> None:
    raw = (DATA / "sc_query_not_installed_fr.cp850").read_bytes()
    assert "ÉCHEC 1060" in decode_console(raw, "cp850")
    assert "ÉCHEC" not in raw.decode("utf-8", errors="replace")  # what UTF-8 made of it


def test_unexpected_sc_output_is_installed_without_a_state() -> None:
    assert wo.service_query(
        Completed(5, "[SC] OpenService FAILED 5:\r\n\r\nAccess is denied.")
    ) == (wo.ServiceQuery(True, None))


def test_winhttp_settings_direct_default() -> None:
    direct = bytes.fromhex("18000000 00000000 01000000 00000000 00000000")
    assert wo.winhttp_settings(direct) == wo.ConnectionSettings(1, "", "")


def test_winhttp_settings_with_a_per_scheme_proxy_and_bypass() -> None:
    blob = winhttp_blob("http=proxy.corp:80;https=secure.corp:8443", "<local>;*.contoso.com")
    settings = wo.winhttp_settings(blob)
    assert settings.flags & wo.FLAG_PROXY
    assert wo.https_entry(settings.proxy) == "secure.corp:8443"
    assert wo.bypass_entries(settings.bypass) == ("<local>", "*.contoso.com")


def test_a_magic_other_than_0x18_is_accepted() -> None:
    blob = b"\x28" + winhttp_blob("proxy:8080")[1:]
    assert wo.winhttp_settings(blob).proxy == "proxy:8080"


@pytest.mark.parametrize(
    "blob",
    [
        b"\x18\x00\x00",
        winhttp_blob("proxy.corp:8080")[:-3],
        b"\x18" + b"\x00" * 7 + b"\x03\x00\x00\x00\xff\xff\x00\x00",
    ],
)
def test_corrupt_winhttp_settings_raise_value_error(blob: bytes) -> None:
    with pytest.raises(ValueError):
        wo.winhttp_settings(blob)


def test_connection_settings_with_pac_and_autodetect() -> None:
    blob = connection_blob(1 | 4 | 8, pac_url="http://wpad.corp/proxy.pac")
    settings = wo.connection_settings(blob)
    assert settings.flags & wo.FLAG_AUTO_CONFIG_URL and settings.flags & wo.FLAG_AUTO_DETECT
    assert settings.auto_config_url == "http://wpad.corp/proxy.pac"


def test_https_entry_grammar() -> None:
    assert wo.https_entry("proxy.corp:3128") == "proxy.corp:3128"
    assert wo.https_entry("http=a:80 https=b:443") == "b:443"
    assert wo.https_entry("http=a:80") is None  # https goes directly


def test_events_of_wevtutil_xml() -> None:
    xml = event_xml(
        (
            4502,
            "Health Service Modules",
            "2025-03-01T10:00:05.000Z",
            [EVENT_4502_TEXT.format(ws="ws")],
        ),
        (2138, "Health Service Modules", "2025-03-01T09:00:00.000Z", ["407"]),
    )
    first, second = wo.events(xml)
    assert (first.event_id, first.provider, first.time) == (
        4502,
        "Health Service Modules",
        "2025-03-01T10:00:05.000Z",
    )
    assert "not issued by a certificate authority" in first.data[0]
    assert second.event_id == 2138


def test_events_without_a_root_element_and_broken_xml() -> None:
    single = event_xml((4502, "HealthService", "2025-03-01T10:00:05Z", []))
    unwrapped = single.replace("<Events>", "").replace("</Events>", "")
    assert [e.event_id for e in wo.events(unwrapped)] == [4502]
    assert wo.events("\r\n") == []
    with pytest.raises(ValueError, match="not XML"):
        wo.events("<Events><Event>")
