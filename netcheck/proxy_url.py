"""Parses the --proxy URL (the password never appears in anything it returns or raises) and
matches hosts against a proxy bypass list."""

from __future__ import annotations

import fnmatch
import re
from urllib.parse import unquote, urlsplit

from netcheck.errors import UsageError
from netcheck.models import ProxySettings

_EXPECTED = "expected http://[user:password@]host:port"
_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*://")
# Greedy up to the last '@', as urlsplit reads it, so a password holding '/' or '@' is hidden
# whole; the user part may hold '/' too, so a password after it is still found.
_PASSWORD = re.compile(r"^([^@:]*:).*@", re.DOTALL)


def redact(url: str) -> str:
    """The URL with any password replaced, for error messages about the URL itself."""
    scheme = _SCHEME.match(url)
    prefix = scheme.group(0) if scheme else ""
    return prefix + _PASSWORD.sub(r"\1***@", url[len(prefix) :], count=1)


def parse_proxy(url: str) -> ProxySettings:
    """An explicit HTTP proxy: http://[user[:password]@]host[:port] (scheme optional, port 80)."""
    text = url.strip()
    shown = redact(text)
    if not text:
        raise UsageError(f"--proxy is empty ({_EXPECTED})")
    if "://" not in text:
        text = "http://" + text  # the agent's own proxy syntax makes the scheme optional
    parts = urlsplit(text)
    if parts.scheme.lower() != "http":
        raise UsageError(
            f"--proxy {shown}: unsupported scheme {parts.scheme!r} (only http proxies "
            f"are supported; {_EXPECTED})"
        )
    try:
        port = 80 if parts.port is None else parts.port
    except ValueError:
        port = 0  # not a number, or out of range
    if not 0 < port < 65536:
        raise UsageError(f"--proxy {shown}: the port is not a number from 1 to 65535 ({_EXPECTED})")
    host = parts.hostname
    if not host or parts.path not in ("", "/") or parts.query or parts.fragment or " " in text:
        raise UsageError(f"--proxy {shown}: malformed proxy URL ({_EXPECTED})")
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return ProxySettings(host=host, port=port, username=username, password=password)


def bypassed(host: str, bypass: tuple[str, ...]) -> bool:
    """Whether a WinHTTP/WinINET bypass list sends `host` directly: "<local>" matches names
    without a dot, "*" is a wildcard, an entry may carry a scheme or a port (ignored), and
    matching ignores case."""
    name = host.rstrip(".").lower()
    for entry in bypass:
        pattern = entry.strip().lower()
        if pattern == "<local>":
            if "." not in name:
                return True
            continue
        pattern = pattern.split("://", 1)[-1]
        if not pattern.startswith("["):
            pattern = pattern.split(":", 1)[0]
        if pattern and fnmatch.fnmatchcase(name, pattern):
            return True
    return False
