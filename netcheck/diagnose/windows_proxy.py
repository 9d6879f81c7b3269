"""The machine's proxy settings on Windows, as the worker's account (LocalSystem) sees them:
WinHTTP's machine proxy, then LocalSystem's WinINET settings (a PAC URL, WPAD, a manual
proxy), or the machine-wide ones when the ProxySettingsPerUser policy is 0.

Layouts: WinHttpSettings and DefaultConnectionSettings as Wine reimplements them
(dlls/winhttp/session.c); the API equivalent is documented at
https://learn.microsoft.com/windows/win32/api/winhttp/nf-winhttp-winhttpgetdefaultproxyconfiguration .
"""

from __future__ import annotations

from netcheck.diagnose.discovery_model import Unreadable
from netcheck.diagnose.proxy_choice import ProxyCandidate, candidate, pac_candidate
from netcheck.diagnose.windows_output import (
    FLAG_AUTO_CONFIG_URL,
    FLAG_AUTO_DETECT,
    FLAG_PROXY,
    ConnectionSettings,
    bypass_entries,
    connection_settings,
    https_entry,
    winhttp_settings,
)
from netcheck.diagnose.windows_registry import REG_BINARY, Registry, Values, dword, text

INTERNET_SETTINGS = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings"
WINHTTP_KEY = rf"HKLM\{INTERNET_SETTINGS}\Connections"
POLICY_KEY = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings"
LOCAL_SYSTEM_KEY = rf"HKU\S-1-5-18\{INTERNET_SETTINGS}"
MACHINE_KEY = rf"HKLM\{INTERNET_SETTINGS}"


def machine_proxies(registry: Registry) -> tuple[list[ProxyCandidate], list[Unreadable]]:
    """WinHTTP's proxy, then WinINET's for LocalSystem, each only when one is set."""
    problems: list[Unreadable] = []
    found = [c for c in [winhttp(registry, problems)] if c is not None]
    found += wininet(registry, problems)
    return found, problems


def _binary(
    registry: Registry, key: str, name: str, what: str, problems: list[Unreadable]
) -> bytes | None:
    try:
        values = registry.values(key)
    except OSError as exc:
        problems.append(Unreadable(what, key, "", exc.strerror or str(exc)))
        return None
    value = (values or {}).get(name)
    if value is None:
        return None
    if value.kind != REG_BINARY or not isinstance(value.data, bytes):
        problems.append(
            Unreadable(
                what, f"{key}\\{name}", value.shown()[:200], f"type {value.kind}, not REG_BINARY"
            )
        )
        return None
    return value.data


def _parse(
    data: bytes, winhttp: bool, where: str, what: str, problems: list[Unreadable]
) -> ConnectionSettings | None:
    """The binary value parsed; a corrupt one becomes an Unreadable with its bytes in hex."""
    try:
        return winhttp_settings(data) if winhttp else connection_settings(data)
    except ValueError as exc:
        problems.append(Unreadable(what, where, data.hex(" ")[:200], str(exc)))
        return None


def winhttp(registry: Registry, problems: list[Unreadable]) -> ProxyCandidate | None:
    """WinHTTP's machine proxy (what `netsh winhttp set proxy` writes), or None: direct."""
    where = f"{WINHTTP_KEY}\\WinHttpSettings"
    data = _binary(registry, WINHTTP_KEY, "WinHttpSettings", "WinHTTP proxy", problems)
    if data is None:
        return None
    settings = _parse(data, True, where, "WinHTTP proxy", problems)
    if settings is None or not settings.flags & FLAG_PROXY or not settings.proxy.strip():
        return None
    entry = https_entry(settings.proxy)
    if entry is None:
        problems.append(
            Unreadable("WinHTTP proxy", where, settings.proxy, "no entry for https in the list")
        )
        return None
    return candidate(entry, "WinHTTP", where, bypass_entries(settings.bypass))


def wininet(registry: Registry, problems: list[Unreadable]) -> list[ProxyCandidate]:
    """LocalSystem's WinINET settings in WinINET's order: WPAD, the PAC URL, the manual proxy.
    With the ProxySettingsPerUser policy at 0 the machine-wide settings apply instead."""
    try:
        policy = registry.values(POLICY_KEY)
    except OSError:
        policy = None
    try:
        per_user = dword(policy, "ProxySettingsPerUser")
    except ValueError as exc:
        raw = policy["ProxySettingsPerUser"].shown() if policy else ""
        problems.append(Unreadable("ProxySettingsPerUser policy", POLICY_KEY, raw, str(exc)))
        per_user = None
    if per_user == 0:
        key, source = MACHINE_KEY, "machine-wide WinINET (ProxySettingsPerUser=0)"
    else:
        key, source = LOCAL_SYSTEM_KEY, "LocalSystem's WinINET"
    connection = _binary(
        registry, f"{key}\\Connections", "DefaultConnectionSettings", source, problems
    )
    where = f"{key}\\Connections\\DefaultConnectionSettings"
    parsed = _parse(connection, False, where, source, problems) if connection else None
    if parsed is not None:
        return _from_connection(parsed, source, where)
    try:
        values = registry.values(key)
    except OSError as exc:
        problems.append(Unreadable(source, key, "", exc.strerror or str(exc)))
        return []
    return _from_values(values, key, source, problems)


def _from_connection(settings: ConnectionSettings, source: str, where: str) -> list[ProxyCandidate]:
    found = []
    if settings.flags & FLAG_AUTO_DETECT:
        found.append(pac_candidate("WPAD", source, f"{where} (automatically detect settings)"))
    if settings.flags & FLAG_AUTO_CONFIG_URL and settings.auto_config_url:
        found.append(pac_candidate(settings.auto_config_url, source, where))
    entry = https_entry(settings.proxy) if settings.flags & FLAG_PROXY else None
    if entry:
        found.append(candidate(entry, source, where, bypass_entries(settings.bypass)))
    return found


def _from_values(
    values: Values | None, key: str, source: str, problems: list[Unreadable]
) -> list[ProxyCandidate]:
    """The plain values, for hosts without DefaultConnectionSettings."""
    found = []
    numbers = {}
    for name in ("AutoDetect", "ProxyEnable"):
        try:
            numbers[name] = dword(values, name)
        except ValueError as exc:
            raw = values[name].shown() if values else ""
            problems.append(Unreadable(source, f"{key}\\{name}", raw, str(exc)))
    if numbers.get("AutoDetect"):
        found.append(pac_candidate("WPAD", source, f"{key}\\AutoDetect"))
    url = text(values, "AutoConfigURL")
    if url:
        found.append(pac_candidate(url, source, f"{key}\\AutoConfigURL"))
    server = text(values, "ProxyServer")
    entry = https_entry(server) if server and numbers.get("ProxyEnable") else None
    if entry:
        bypass = bypass_entries(text(values, "ProxyOverride") or "")
        found.append(candidate(entry, source, f"{key}\\ProxyServer", bypass))
    return found
