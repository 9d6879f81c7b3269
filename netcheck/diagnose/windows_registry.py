"""The Windows registry behind a small protocol, read through the 64-bit view.

The worker, the agent and Windows keep their settings in the 64-bit view. A 32-bit Python
that opens HKLM\\SOFTWARE without KEY_WOW64_64KEY is silently redirected to WOW6432Node,
where a registered worker looks absent. `winreg` is imported only on Windows (`open_registry`);
everywhere else, tests hand `WinRegistry` a fake module with winreg's interface.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

# Value types, as winnt.h numbers them (winreg.REG_*): the same on every Windows.
REG_SZ = 1
REG_EXPAND_SZ = 2
REG_BINARY = 3
REG_DWORD = 4
REG_MULTI_SZ = 7
REG_QWORD = 11

_HIVES = {
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
    "HKU": "HKEY_USERS",
    "HKEY_USERS": "HKEY_USERS",
}


@dataclass(frozen=True)
class RegValue:
    """One value as winreg returns it: str, int, bytes or list[str], and its REG_* type."""

    data: Any
    kind: int

    def shown(self) -> str:
        """The value as a person reads it in regedit: hex for binary, the number for DWORDs."""
        if isinstance(self.data, bytes):
            return self.data.hex(" ")
        return str(self.data)


Values = dict[str, RegValue]


class Registry(Protocol):
    """Read-only access to registry keys written as "HKLM\\SOFTWARE\\...".

    Both methods return None when the key does not exist and raise OSError when it exists but
    cannot be read (access denied), so that the caller can say which.
    """

    def values(self, key: str) -> Values | None: ...

    def subkeys(self, key: str) -> list[str] | None: ...


class WinRegistry:
    """The registry through a winreg module (the real one on Windows, a fake in tests)."""

    def __init__(self, winreg: Any) -> None:
        self._winreg = winreg

    @contextlib.contextmanager
    def _opened(self, key: str) -> Iterator[Any]:
        """The open key, or None when it does not exist (any other OSError propagates)."""
        hive, _, path = key.partition("\\")
        w = self._winreg
        try:
            handle = w.OpenKeyEx(
                getattr(w, _HIVES[hive.upper()]), path, 0, w.KEY_READ | w.KEY_WOW64_64KEY
            )
        except FileNotFoundError:
            yield None
            return
        with handle:
            yield handle

    def values(self, key: str) -> Values | None:
        with self._opened(key) as handle:
            if handle is None:
                return None
            _, count, _ = self._winreg.QueryInfoKey(handle)
            return {
                name: RegValue(data, kind)
                for name, data, kind in (
                    self._winreg.EnumValue(handle, index) for index in range(count)
                )
            }

    def subkeys(self, key: str) -> list[str] | None:
        with self._opened(key) as handle:
            if handle is None:
                return None
            count, _, _ = self._winreg.QueryInfoKey(handle)
            return [self._winreg.EnumKey(handle, index) for index in range(count)]


def open_registry() -> Registry:
    """This machine's registry; call only on Windows."""
    import winreg

    return WinRegistry(winreg)


def walk(registry: Registry, key: str, depth: int = 4) -> Iterator[tuple[str, Values]]:
    """`key` and its subkeys down to `depth` levels, each with its values; absent: nothing."""
    values = registry.values(key)
    if values is None:
        return
    yield key, values
    if depth == 0:
        return
    for sub in registry.subkeys(key) or []:
        yield from walk(registry, f"{key}\\{sub}", depth - 1)


def dword(values: Values | None, name: str) -> int | None:
    """A DWORD value, or None when absent; a value of another type raises ValueError."""
    value = (values or {}).get(name)
    if value is None:
        return None
    if value.kind in (REG_DWORD, REG_QWORD) and isinstance(value.data, int):
        return value.data
    raise ValueError(f"{name} is not a DWORD (type {value.kind}: {value.shown()[:80]})")


def text(values: Values | None, name: str) -> str | None:
    """A string value, or None when absent or empty."""
    value = (values or {}).get(name)
    if value is None or not isinstance(value.data, str):
        return None
    return value.data.strip() or None
