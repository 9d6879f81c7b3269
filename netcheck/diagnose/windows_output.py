"""Parsers of the Windows commands diagnose reads (sc query, reg query, netsh winhttp).

They run on Windows through the command runner; everywhere they are tested on recorded output.
"""

from __future__ import annotations

import re

# `sc query` for a service that does not exist: "[SC] EnumQueryServicesStatus:OpenService
# FAILED 1060: The specified service does not exist as an installed service."
_NO_SUCH_SERVICE = "FAILED 1060"
_STATE = re.compile(r"^\s*STATE\s*:\s*\d+\s+([A-Z_]+)", re.MULTILINE)
_REG_VALUE = re.compile(r"^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$")

# A registry key as `reg query KEY /s` prints it: full key path -> value name -> data.
Registry = dict[str, dict[str, str]]


def service_state(sc_output: str) -> str | None:
    """The STATE word (RUNNING, STOPPED, START_PENDING, ...); None when not installed, "" when
    the output says neither."""
    if _NO_SUCH_SERVICE in sc_output:
        return None
    match = _STATE.search(sc_output)
    return match.group(1) if match else ""


def registry(reg_output: str) -> Registry:
    """Keys and their values; empty when the key does not exist ("ERROR: ... unable to find")."""
    keys: Registry = {}
    current: dict[str, str] | None = None
    for line in reg_output.splitlines():
        if line.startswith("HKEY_"):
            current = keys.setdefault(line.strip(), {})
            continue
        match = _REG_VALUE.match(line.rstrip())
        if match and current is not None:
            current[match.group(1)] = match.group(3) or ""
    return keys


def winhttp_proxy(netsh_output: str) -> tuple[str, str | None] | None:
    """(proxy server, bypass list) of `netsh winhttp show proxy`, or None for direct access.

    A per-scheme setting ("http=a:80;https=b:443") gives the https entry, as HTTPS uses it.
    """
    fields = {}
    for line in netsh_output.splitlines():
        name, sep, value = line.partition(" :")
        if sep:
            fields[name.strip().lower()] = value.strip()
    server = fields.get("proxy server(s)")
    if not server:
        return None
    entries = {}
    for part in filter(None, server.split(";")):
        scheme, _, address = part.rpartition("=")
        entries[scheme.lower()] = address
    chosen = entries.get("https") or entries.get("") or next(iter(entries.values()))
    return chosen, fields.get("bypass list") or None
