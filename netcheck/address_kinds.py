"""What kind of address a resolver answered with; shared by the probes and the rules."""

from __future__ import annotations

import ipaddress

_PRIVATE_V4 = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_ULA = ipaddress.ip_network("fc00::/7")


def is_sinkhole(address: str) -> bool:
    """0.0.0.0, ::, 127.0.0.0/8 or ::1: what DNS filters answer for a blocked name."""
    ip = ipaddress.ip_address(address)
    return ip.is_unspecified or ip.is_loopback


def is_private(address: str) -> bool:
    """RFC 1918 or unique-local: what Private Link endpoints resolve to."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv4Address):
        return any(ip in net for net in _PRIVATE_V4)
    return ip in _ULA
