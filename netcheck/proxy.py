"""Parses the --proxy URL; the password never appears in anything it returns or raises."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from netcheck.errors import UsageError
from netcheck.models import ProxySettings

_EXPECTED = "expected http://[user:password@]host:port"


def redact(url: str) -> str:
    """The URL with any password replaced, for error messages about the URL itself."""
    # Greedy up to the last '@', as urlsplit reads it, so a password holding '/' or '@' is
    # hidden whole.
    return re.sub(r"^((?:[A-Za-z][\w+.-]*://)?[^/@:]*:).*@", r"\1***@", url)


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
        port = parts.port or 80
    except ValueError:
        raise UsageError(
            f"--proxy {shown}: the port is not a number from 1 to 65535 ({_EXPECTED})"
        ) from None
    host = parts.hostname
    if not host or parts.path not in ("", "/") or parts.query or parts.fragment or " " in text:
        raise UsageError(f"--proxy {shown}: malformed proxy URL ({_EXPECTED})")
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return ProxySettings(host=host, port=port, username=username, password=password)
