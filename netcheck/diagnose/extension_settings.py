"""The extension-based worker's settings file (*.settings, JSON), on Linux and Windows alike."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from netcheck.diagnose.discovery_model import Setting
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.proxy_choice import ProxyCandidate, candidate


@dataclass(frozen=True)
class ExtensionConfig:
    registered: bool | None
    settings: tuple[Setting, ...] = ()
    proxies: tuple[ProxyCandidate, ...] = ()
    unknown: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


def read_settings(files: HostFiles, paths: list[str]) -> ExtensionConfig:
    """The newest settings file (highest extension version, then sequence number)."""
    if not paths:
        return ExtensionConfig(None, unknown=("no extension settings file (*.settings) found",))
    path = max(paths, key=_settings_order)
    text = files.read(path)
    try:
        handler = json.loads(text or "")["runtimeSettings"][0]["handlerSettings"]
    except (ValueError, LookupError, TypeError):
        why = files.problem(path) or "not the JSON layout runtimeSettings[0].handlerSettings"
        return ExtensionConfig(None, unknown=(f"{path}: {why}",), files=(path,))
    settings: list[Setting] = []
    proxies: list[ProxyCandidate] = []
    unknown: list[str] = []
    sections: list[tuple[str, Any]] = [("publicSettings", handler.get("publicSettings"))]
    protected = handler.get("protectedSettings")
    if isinstance(protected, str) and protected:
        thumbprint = handler.get("protectedSettingsCertThumbprint") or "unknown"
        unknown.append(
            f"{path}: protectedSettings are encrypted for the certificate {thumbprint}; a proxy "
            "set there (Proxy_URL, ProxyPassword) cannot be seen, netcheck does not decrypt them"
        )
    else:
        sections.append(("protectedSettings", protected))
    for section, values in sections:
        if not isinstance(values, dict):
            continue
        where = f"{path} {section}"
        url = _get(values, "AutomationAccountURL")
        if isinstance(url, str) and url:
            settings.append(
                Setting.redacted("automation_account_url", url, f"{where}.AutomationAccountURL")
            )
        proxy_url = _get(values, "Proxy_URL")
        if isinstance(proxy_url, str) and proxy_url.strip():
            proxies.append(candidate(proxy_url, "extension setting", f"{where}.Proxy_URL"))
        server = _get(_get(values, "ProxySettings") or {}, "ProxyServer")
        if isinstance(server, str) and server.strip():
            proxies.append(
                candidate(server, "extension setting", f"{where}.ProxySettings.ProxyServer")
            )
    registered = True if settings else None if unknown else False
    return ExtensionConfig(registered, tuple(settings), tuple(proxies), tuple(unknown), (path,))


def _settings_order(path: str) -> tuple[tuple[int, ...], int]:
    version = re.search(r"\d+(?:\.\d+)+", path)
    stem = PurePosixPath(path).stem
    return (
        tuple(int(n) for n in version.group(0).split(".")) if version else (),
        int(stem) if stem.isdigit() else -1,
    )


def _get(values: Any, name: str) -> Any:
    """A JSON key, any case (the settings are written by hand as often as by tools)."""
    if not isinstance(values, dict):
        return None
    return next((v for k, v in values.items() if k.casefold() == name.casefold()), None)
