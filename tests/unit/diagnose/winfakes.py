"""Fakes of what Windows hands netcheck, so that Windows behaviour is tested on Linux.

- `FakeWinreg`: the interface of CPython's `winreg` module
  (https://docs.python.org/3/library/winreg.html: OpenKeyEx, QueryInfoKey, EnumKey, EnumValue,
  KEY_READ, KEY_WOW64_64KEY), with a 64-bit and a 32-bit view. Like a 32-bit Python on 64-bit
  Windows, it serves the 32-bit view (WOW6432Node) unless KEY_WOW64_64KEY is asked for
  (https://learn.microsoft.com/windows/win32/winprog64/accessing-an-alternate-registry-view).
- `winhttp_blob` / `connection_blob`: the REG_BINARY layouts of WinHttpSettings and WinINET's
  DefaultConnectionSettings as Wine reimplements them (dlls/winhttp/session.c,
  https://gitlab.winehq.org/wine/wine/-/blob/master/dlls/winhttp/session.c): DWORD magic,
  DWORD 0/counter, DWORD flags, then length-prefixed 8-bit strings. The direct default
  `18 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00` is a vendor KB's capture.
- `event_xml`: `wevtutil qe ... /f:xml /e:Events` output in the Event schema
  (https://learn.microsoft.com/windows/win32/wes/eventschema-schema), shaped like Microsoft's
  SCOM connectivity KB example, with the 4502 text of the Azure Automation documentation.
- `recorded`: a command runner answering with recorded bytes decoded with a code page, as
  netcheck.commands.run_command decodes with the OEM code page.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netcheck.commands import Completed, Runner, decode_console
from netcheck.diagnose.windows_registry import REG_BINARY, REG_DWORD, REG_SZ

DATA = Path(__file__).parents[1] / "data" / "diagnose"

# A registry view: key path (hive first, as "HKLM\\...") -> value name -> (data, REG_* type).
View = dict[str, dict[str, tuple[Any, int]]]


class _Handle:
    def __init__(self, key: str) -> None:
        self.key = key

    def __enter__(self) -> _Handle:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class FakeWinreg:
    HKEY_LOCAL_MACHINE = "HKLM"
    HKEY_USERS = "HKU"
    KEY_READ = 0x20019
    KEY_WOW64_64KEY = 0x0100

    def __init__(
        self, view64: View, view32: View | None = None, denied: set[str] = frozenset()
    ) -> None:  # type: ignore[assignment]
        self.views = {True: view64, False: view32 or {}}
        self.denied = denied
        self.opened: list[tuple[str, int]] = []

    def OpenKeyEx(self, hive: str, path: str, reserved: int, access: int) -> _Handle:
        key = f"{hive}\\{path}".lower()
        self.opened.append((key, access))
        view = self.views[bool(access & self.KEY_WOW64_64KEY)]
        if key in self.denied:
            raise PermissionError(13, "Access is denied")
        if not any(k.lower() == key or k.lower().startswith(key + "\\") for k in view):
            raise FileNotFoundError(2, "The system cannot find the file specified")
        handle = _Handle(key)
        handle.view = view  # type: ignore[attr-defined]
        return handle

    def _values(self, handle: _Handle) -> list[tuple[str, Any, int]]:
        view: View = handle.view  # type: ignore[attr-defined]
        found = next((v for k, v in view.items() if k.lower() == handle.key), {})
        return [(name, data, kind) for name, (data, kind) in found.items()]

    def _subkeys(self, handle: _Handle) -> list[str]:
        view: View = handle.view  # type: ignore[attr-defined]
        depth = handle.key.count("\\") + 1
        names = []
        for key in view:
            parts = key.split("\\")
            if key.lower().startswith(handle.key + "\\") and len(parts) > depth:
                names.append(parts[depth])
        return list(dict.fromkeys(names))

    def QueryInfoKey(self, handle: _Handle) -> tuple[int, int, int]:
        return len(self._subkeys(handle)), len(self._values(handle)), 0

    def EnumKey(self, handle: _Handle, index: int) -> str:
        return self._subkeys(handle)[index]

    def EnumValue(self, handle: _Handle, index: int) -> tuple[str, Any, int]:
        return self._values(handle)[index]


def sz(text: str) -> tuple[str, int]:
    return text, REG_SZ


def dw(number: int) -> tuple[int, int]:
    return number, REG_DWORD


def binary(data: bytes) -> tuple[bytes, int]:
    return data, REG_BINARY


def _strings(*texts: str) -> bytes:
    return b"".join(struct.pack("<I", len(t)) + t.encode("latin-1") for t in texts)


def winhttp_blob(proxy: str = "", bypass: str = "", flags: int | None = None) -> bytes:
    """WinHttpSettings: magic 0x18, 0, flags (1 direct, 2 proxy), proxy, bypass."""
    if flags is None:
        flags = 3 if proxy else 1
    return struct.pack("<III", 0x18, 0, flags) + _strings(proxy, bypass)


def connection_blob(flags: int, proxy: str = "", bypass: str = "", pac_url: str = "") -> bytes:
    """DefaultConnectionSettings: version 0x46, counter, flags (1 always, 2 proxy, 4 PAC,
    8 auto-detect), proxy, bypass, PAC URL."""
    return struct.pack("<III", 0x46, 7, flags) + _strings(proxy, bypass, pac_url)


EVENT_4502_TEXT = (
    "The certificate presented by the service {ws}.oms.opinsights.azure.com was not issued by "
    "a certificate authority used for Microsoft services. Please contact your network "
    "administrator to see if they are running a proxy that intercepts TLS/SSL communication."
)


def event_xml(*events: tuple[int, str, str, Sequence[str]]) -> str:
    """`wevtutil qe ... /f:xml /e:Events`: (event ID, provider, SystemTime, data strings)."""
    body = "".join(
        '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        f'<Provider Name="{provider}"/><EventID Qualifiers="49152">{event_id}</EventID>'
        "<Level>2</Level><Task>1</Task><Keywords>0x80000000000000</Keywords>"
        f'<TimeCreated SystemTime="{time}"/><EventRecordID>{84143 + n}</EventRecordID>'
        "<Channel>Operations Manager</Channel><Computer>HRW01</Computer><Security/></System>"
        "<EventData>" + "".join(f"<Data>{d}</Data>" for d in data) + "</EventData></Event>"
        for n, (event_id, provider, time, data) in enumerate(events)
    )
    return f"<Events>{body}</Events>\r\n"


def recorded(
    answers: dict[tuple[str, ...], tuple[int, str | bytes]],
    encoding: str = "cp850",
    asked: list[tuple[str, ...]] | None = None,
) -> Runner:
    """A runner answering argv with (exit status, output): a fixture file name under
    tests/unit/data/diagnose, raw bytes, or text. Unknown commands: not found (1060 for sc)."""

    def run(argv: Sequence[str]) -> Completed | None:
        key = tuple(argv)
        if asked is not None:
            asked.append(key)
        if key not in answers:
            if key[0] == "sc":
                return Completed(1060, _read("sc_query_not_installed.txt", "cp437"))
            return Completed(1, "")
        status, output = answers[key]
        if isinstance(output, bytes):
            return Completed(status, decode_console(output, encoding))
        if (DATA / output).is_file():
            return Completed(status, _read(output, encoding))
        return Completed(status, output)

    return run


def _read(name: str, encoding: str) -> str:
    return decode_console((DATA / name).read_bytes(), encoding)
