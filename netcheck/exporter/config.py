"""The exporter's two files, validated into frozen data: modules (--config) and the web config.

Both are YAML read with the safe loader. Errors are one UsageError line naming the file, the
key and the valid choices, like the catalogue's. A proxy password comes from the module's
URL or from an environment variable (`proxy_password_env`), never from a request.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from netcheck.errors import UsageError
from netcheck.models import Catalogue, ProxySettings

DEFAULT_MODULE = "default"
# A whole probe (every target, all steps), as blackbox_exporter's module timeout; the deadline
# Prometheus sends with each scrape shortens it.
DEFAULT_TIMEOUT = 10.0
_MODULE_KEYS = ("proxy", "proxy_password_env", "ca_bundle", "dns_server", "timeout", "catalogue")
_TLS_KEYS = ("cert_file", "key_file")
_WEB_KEYS = ("tls_server_config", "basic_auth_users")


@dataclass(frozen=True)
class Module:
    """How one module probes: its catalogue, proxy, trust roots, resolver and deadline."""

    name: str
    catalogue: Catalogue
    proxy: ProxySettings | None = None
    ca_bundle: str | None = None
    dns_server: str | None = None
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class WebConfig:
    """exporter-toolkit's web configuration, the part netcheck supports."""

    cert_file: str | None = None
    key_file: str | None = None
    # user name -> bcrypt hash; empty: no authentication
    users: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def tls(self) -> bool:
        return self.cert_file is not None


def _read_yaml(path: str, what: str) -> Any:
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise UsageError(f"{path}: not valid YAML{where}") from None


def _mapping(value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UsageError(f"{where}: must be a mapping (keys: {', '.join(keys)})")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} (valid: {', '.join(keys)})")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where}: must be a non-empty string")
    return value.strip()


CatalogueLoader = Callable[[str | None], Catalogue]


def load_modules(
    path: str | None,
    load_catalogue: CatalogueLoader,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, Module]:
    """Every module of the file, plus an implicit `default` module when the file has none.

    `load_catalogue` is netcheck.catalogue.load_catalogue (None: the shipped one); a module's
    catalogue is loaded once here, not on every scrape.
    """
    raw = _read_yaml(path, "--config") if path is not None else None
    top = _mapping(raw, f"{path}", ("modules",))
    blocks = top.get("modules") or {}
    if not isinstance(blocks, dict):
        raise UsageError(f"{path}: modules: must be a mapping of module names to settings")
    catalogues: dict[str | None, Catalogue] = {}

    def catalogue(file: str | None) -> Catalogue:
        if file not in catalogues:
            catalogues[file] = load_catalogue(file)
        return catalogues[file]

    modules = {
        str(name): _module(str(name), block, f"{path}: modules.{name}", catalogue, environ)
        for name, block in blocks.items()
    }
    if DEFAULT_MODULE not in modules:
        modules[DEFAULT_MODULE] = Module(DEFAULT_MODULE, catalogue(None))
    return modules


def _module(
    name: str, block: Any, where: str, catalogue: CatalogueLoader, environ: Mapping[str, str]
) -> Module:
    from netcheck.proxy_url import parse_proxy

    settings = _mapping(block, where, _MODULE_KEYS)
    module = Module(name, catalogue(_optional_text(settings, "catalogue", where)))
    if "timeout" in settings:
        timeout = settings["timeout"]
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or not 0.1 <= timeout <= 300
        ):
            raise UsageError(f"{where}.timeout: must be a number of seconds from 0.1 to 300")
        module = replace(module, timeout=float(timeout))
    proxy = _optional_text(settings, "proxy", where)
    password_env = _optional_text(settings, "proxy_password_env", where)
    if proxy is not None:
        try:
            parsed = parse_proxy(proxy)
        except UsageError as exc:
            raise UsageError(f"{where}.proxy: {exc}") from None
        if password_env is not None:
            parsed = _with_password(parsed, password_env, where, environ)
        module = replace(module, proxy=parsed)
    elif password_env is not None:
        raise UsageError(f"{where}.proxy_password_env: needs a proxy with a user name")
    return replace(
        module,
        ca_bundle=_optional_text(settings, "ca_bundle", where),
        dns_server=_optional_text(settings, "dns_server", where),
    )


def _optional_text(settings: dict[str, Any], key: str, where: str) -> str | None:
    value = settings.get(key)
    return None if value is None else _text(value, f"{where}.{key}")


def _with_password(
    proxy: ProxySettings, variable: str, where: str, environ: Mapping[str, str]
) -> ProxySettings:
    if proxy.username is None:
        raise UsageError(
            f"{where}.proxy_password_env: the proxy URL has no user name (http://user@host:port)"
        )
    if proxy.password is not None:
        raise UsageError(
            f"{where}: the proxy URL already holds a password; give it there or in "
            "proxy_password_env, not both"
        )
    password = environ.get(variable)
    if password is None:
        raise UsageError(
            f"{where}.proxy_password_env: the environment variable {variable} is not set"
        )
    return replace(proxy, password=password)


def load_web_config(path: str) -> WebConfig:
    """exporter-toolkit's format: tls_server_config (cert_file, key_file) and
    basic_auth_users (name: bcrypt hash); other settings of that format are refused, so a
    file written for another exporter never silently weakens this one."""
    top = _mapping(_read_yaml(path, "--web-config-file"), path, _WEB_KEYS)
    tls = _mapping(top.get("tls_server_config"), f"{path}: tls_server_config", _TLS_KEYS)
    cert = _optional_text(tls, "cert_file", f"{path}: tls_server_config")
    key = _optional_text(tls, "key_file", f"{path}: tls_server_config")
    if (cert is None) != (key is None):
        raise UsageError(f"{path}: tls_server_config: needs both cert_file and key_file")
    base = Path(path).parent
    # exporter-toolkit reads these relative to the web config file
    cert, key = (str(base / f) if f is not None else None for f in (cert, key))
    users_raw = top.get("basic_auth_users") or {}
    if not isinstance(users_raw, dict):
        raise UsageError(f"{path}: basic_auth_users: must map user names to bcrypt hashes")
    users: dict[str, bytes] = {}
    for user, hashed in users_raw.items():
        text = _text(hashed, f"{path}: basic_auth_users.{user}")
        if not text.startswith(("$2a$", "$2b$", "$2y$")):
            raise UsageError(
                f"{path}: basic_auth_users.{user}: not a bcrypt hash (expected $2y$..., "
                "e.g. from 'htpasswd -nBC 10 USER')"
            )
        users[str(user)] = text.encode("ascii", "replace")
    return WebConfig(cert, key, users)
