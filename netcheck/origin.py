"""Where a check runs: host name, FQDN, operating system, own addresses, netcheck version.

Only local facts. The one lookup that may leave the host, the FQDN (the system's resolver, as
`hostname -f` would ask it), runs in a thread beside the probes and is given up on when it has
not answered by the time they end, so it never lengthens or blocks a check.
"""

from __future__ import annotations

import ipaddress
import platform
import socket
import threading
from collections.abc import Iterable
from pathlib import Path

from netcheck import __version__
from netcheck.models import Origin, OsInfo

_FIB_TRIE = Path("/proc/net/fib_trie")
_IF_INET6 = Path("/proc/net/if_inet6")


class PendingOrigin:
    """Starts the name lookups at once; `result()` collects them with everything else."""

    def __init__(self) -> None:
        self._hostname = socket.gethostname()
        self._fqdn: str | None = None
        self._resolved: tuple[str, ...] = ()
        self._thread = threading.Thread(target=self._lookup, name="netcheck-origin", daemon=True)
        self._thread.start()

    def _lookup(self) -> None:
        # Without /proc (Windows, macOS) the host's addresses come from resolving its own
        # name, which those systems answer locally from their interfaces.
        if not _FIB_TRIE.is_file():
            self._resolved = _resolve_own(self._hostname)
        self._fqdn = socket.getfqdn(self._hostname)

    def result(self, wait: float = 0.5) -> Origin:
        """The origin; a lookup still running after `wait` seconds is left out (fqdn None)."""
        self._thread.join(wait)
        done = not self._thread.is_alive()
        addresses = (
            local_addresses(_read(_FIB_TRIE), _read(_IF_INET6))
            if _FIB_TRIE.is_file()
            else self._resolved
        )
        return Origin(
            hostname=self._hostname,
            fqdn=self._fqdn if done else None,
            os=os_info(),
            addresses=addresses,
            netcheck_version=__version__,
        )


def os_info() -> OsInfo:
    system = platform.system()
    release = platform.release()
    name: str | None = None
    if system == "Linux":
        try:
            name = platform.freedesktop_os_release().get("PRETTY_NAME")
        except OSError:
            name = None
    elif system == "Windows":
        name = f"Windows {platform.version()}"
    elif system == "Darwin":
        name = f"macOS {platform.mac_ver()[0]}"
    return OsInfo(system=system, release=release, name=name)


def local_addresses(fib_trie: str, if_inet6: str) -> tuple[str, ...]:
    """This host's addresses from Linux's routing trie and IPv6 address list (no netlink
    socket, no subprocess), without loopback and link-local ones."""
    found: list[str] = []
    last = ""
    for line in fib_trie.splitlines():
        text = line.strip()
        if text.startswith("|-- "):
            last = text[4:]
        elif text == "/32 host LOCAL" and last:
            found.append(last)
    for line in if_inet6.splitlines():
        fields = line.split()
        if fields and len(fields[0]) == 32:
            found.append(str(ipaddress.IPv6Address(bytes.fromhex(fields[0]))))
    return _useful(found)


def _resolve_own(hostname: str) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(hostname, None)
    except OSError:
        return ()
    return _useful(str(info[4][0]) for info in infos)


def _useful(addresses: Iterable[str]) -> tuple[str, ...]:
    kept: dict[str, None] = {}  # ordered and without repeats
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        if not (address.is_loopback or address.is_link_local or address.is_unspecified):
            kept[str(address)] = None
    return tuple(kept)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
