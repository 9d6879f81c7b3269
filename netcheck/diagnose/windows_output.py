"""Parsers of what Windows hands diagnose: `sc query`, the binary proxy values of WinHTTP and
WinINET, and `wevtutil qe /f:xml` events.

Verdicts come from numbers (exit codes, the numeric STATE, flags, event IDs), never from words:
the words are translated (German `FEHLER 1060`, French `ÉCHEC 1060`), the numbers are not.
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from netcheck.commands import Completed

# ERROR_SERVICE_DOES_NOT_EXIST: sc's exit status and the number in its "[SC] ... 1060:" line.
SERVICE_DOES_NOT_EXIST = 1060
# SERVICE_STATUS.dwCurrentState, the number `sc query` prints before the state's name.
SERVICE_STATES = {
    1: "STOPPED",
    2: "START_PENDING",
    3: "STOP_PENDING",
    4: "RUNNING",
    5: "CONTINUE_PENDING",
    6: "PAUSE_PENDING",
    7: "PAUSED",
}
# The field names are sc's own identifiers: they stay English on German and French servers.
_STATE = re.compile(r"^\s*STATE\s*:\s*(\d+)\b", re.MULTILINE)
_SC_ERROR = re.compile(r"^\[SC\].*?\b(\d+)\s*:", re.MULTILINE)


@dataclass(frozen=True)
class ServiceQuery:
    installed: bool
    state: int | None  # SERVICE_STATES key; None when the output shows none


def service_query(done: Completed) -> ServiceQuery:
    """What `sc query NAME` says, by its numbers: exit status or "[SC] ... 1060" = not
    installed; otherwise the numeric STATE."""
    error = _SC_ERROR.search(done.stdout)
    if done.returncode == SERVICE_DOES_NOT_EXIST or (
        error is not None and int(error.group(1)) == SERVICE_DOES_NOT_EXIST
    ):
        return ServiceQuery(False, None)
    state = _STATE.search(done.stdout)
    return ServiceQuery(True, int(state.group(1)) if state else None)


# ---------------------------------------------------------------- binary proxy settings

# Flags of WinHttpSettings and of WinINET's DefaultConnectionSettings (Wine, dlls/winhttp and
# dlls/wininet): 1 direct (always set in WinINET's), 2 a named proxy, 4 a PAC URL, 8 WPAD.
FLAG_DIRECT = 1
FLAG_PROXY = 2
FLAG_AUTO_CONFIG_URL = 4
FLAG_AUTO_DETECT = 8


@dataclass(frozen=True)
class ConnectionSettings:
    flags: int
    proxy: str
    bypass: str
    auto_config_url: str = ""


def _lengths_and_strings(data: bytes, offset: int, count: int) -> tuple[str, ...]:
    """`count` strings stored as a little-endian DWORD length and that many 8-bit characters."""
    found: list[str] = []
    for _ in range(count):
        if offset == len(data) and found:
            found.append("")  # a value that stops after the bypass list has no PAC URL
            continue
        if offset + 4 > len(data):
            raise ValueError(f"cut short at byte {offset} of {len(data)}")
        (length,) = struct.unpack_from("<I", data, offset)
        offset += 4
        if offset + length > len(data):
            raise ValueError(
                f"a string of {length} bytes at byte {offset} runs past the end ({len(data)})"
            )
        found.append(data[offset : offset + length].decode("latin-1"))
        offset += length
    return tuple(found)


def winhttp_settings(data: bytes) -> ConnectionSettings:
    """HKLM\\...\\Internet Settings\\Connections\\WinHttpSettings (REG_BINARY): DWORD magic
    (0x18, though other values are seen, so not checked), DWORD 0, DWORD flags, then the proxy
    and the bypass list, each a DWORD length and 8-bit characters. ValueError when corrupt."""
    if len(data) < 12:
        raise ValueError(f"{len(data)} bytes: shorter than the 12-byte header")
    (flags,) = struct.unpack_from("<I", data, 8)
    proxy, bypass = _lengths_and_strings(data, 12, 2)
    return ConnectionSettings(flags, proxy, bypass)


def connection_settings(data: bytes) -> ConnectionSettings:
    """WinINET's Connections\\DefaultConnectionSettings (REG_BINARY): DWORD version, DWORD
    counter, DWORD flags, then proxy, bypass list and PAC URL as length-prefixed strings."""
    if len(data) < 12:
        raise ValueError(f"{len(data)} bytes: shorter than the 12-byte header")
    (flags,) = struct.unpack_from("<I", data, 8)
    proxy, bypass, url = _lengths_and_strings(data, 12, 3)
    return ConnectionSettings(flags, proxy, bypass, url)


def https_entry(proxy_list: str) -> str | None:
    """The entry HTTPS uses from a WinHTTP/WinINET proxy list: `[<scheme>=][<scheme>://]
    <server>[:<port>]` entries separated by ";" or whitespace. A per-scheme list
    ("http=a:80;https=b:443") gives its https entry, else the one without a scheme."""
    entries: dict[str, str] = {}
    for part in re.split(r"[;\s]+", proxy_list.strip()):
        if not part:
            continue
        scheme, sep, address = part.partition("=")
        if not sep:
            scheme, address = "", part
        entries.setdefault(scheme.lower(), address)
    return entries.get("https") or entries.get("")


def bypass_entries(bypass: str) -> tuple[str, ...]:
    """A bypass list as its entries (";" or whitespace between them)."""
    return tuple(e for e in re.split(r"[;\s]+", bypass.strip()) if e)


# ---------------------------------------------------------------- events


_EVENT_NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"


@dataclass(frozen=True)
class Event:
    """One event of `wevtutil qe ... /f:xml` (the Event schema's System and EventData)."""

    event_id: int
    provider: str
    time: str | None
    record: str | None
    data: tuple[str, ...]


def events(xml_text: str) -> list[Event]:
    """The events of `wevtutil qe ... /f:xml /e:Events`; ValueError when it is not that XML."""
    text = xml_text.strip()
    if not text:
        return []
    if not text.startswith("<Events"):
        text = f"<Events>{text}</Events>"  # without /e:, events come one after another
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    found = []
    for node in root.iter(f"{_EVENT_NS}Event"):
        system = node.find(f"{_EVENT_NS}System")
        event_id = system.findtext(f"{_EVENT_NS}EventID") if system is not None else None
        if system is None or event_id is None or not event_id.strip().isdigit():
            raise ValueError("an Event without a numeric System/EventID")
        provider = system.find(f"{_EVENT_NS}Provider")
        created = system.find(f"{_EVENT_NS}TimeCreated")
        data = node.find(f"{_EVENT_NS}EventData")
        found.append(
            Event(
                int(event_id),
                provider.get("Name", "") if provider is not None else "",
                created.get("SystemTime") if created is not None else None,
                system.findtext(f"{_EVENT_NS}EventRecordID"),
                tuple((d.text or "").strip() for d in (data if data is not None else [])),
            )
        )
    return found
