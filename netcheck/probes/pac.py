"""Fetches a PAC file (a proxy auto-configuration script) from its URL, as WinHTTP would."""

from __future__ import annotations

import urllib.error
import urllib.request

_MAX_BYTES = 1024 * 1024  # a PAC file is a script of a few kilobytes


def fetch_pac(url: str, timeout: float) -> tuple[str | None, str | None]:
    """(the script, None) or (None, why it cannot be read). http://, https:// and file://; the
    request goes directly, never through a proxy, as WinHTTP fetches PAC files."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as answer:
            data: bytes = answer.read(_MAX_BYTES + 1)
    except (OSError, ValueError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return None, f"cannot fetch {url}: {reason}"
    if len(data) > _MAX_BYTES:
        return None, f"{url} is larger than {_MAX_BYTES} bytes: not a PAC file"
    # PAC files are ASCII JavaScript in practice; latin-1 never fails and keeps every byte.
    return data.decode("utf-8") if _is_utf8(data) else data.decode("latin-1"), None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
