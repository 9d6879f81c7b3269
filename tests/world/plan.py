"""The address plan of the test world: namespaces, links and who listens where.

Only documentation ranges are used (RFC 5737), plus one 10.x address that exists solely
inside ncw-srv for the private-endpoint scenario. Nothing is ever routed to the root namespace.
"""

from __future__ import annotations

PREFIX = "ncw-"
CLIENT_NS = "ncw-client"
FW_NS = "ncw-fw"
SRV_NS = "ncw-srv"

# client <-> fw link
CLIENT_ADDR = "192.0.2.10"
FW_CLIENT_SIDE = "192.0.2.1"
CLIENT_NET = "192.0.2.0/24"

# fw <-> srv link
FW_SRV_SIDE = "198.51.100.1"
SRV_ADDR = "198.51.100.2"
SRV_NET = "198.51.100.0/24"

# servers in ncw-srv, reachable from the client
HEALTHY = "198.51.100.10"  # the TLS server: certificate chain and HTTP behaviour chosen by SNI
LEGACY_TLS = "198.51.100.11"  # speaks TLS 1.0/1.1 only
TLS_STALL = "198.51.100.12"  # accepts TCP, never says a word
TLS10_ONLY = "198.51.100.13"  # speaks TLS 1.0 only; resets a ClientHello that does not offer it
DNS_CLIENT_VIEW = "198.51.100.53"  # dnsmasq the client's resolv.conf points at
DNS_PROXY_VIEW = "198.51.100.54"  # dnsmasq of ncw-srv (tinyproxy): also knows proxy-only names
DNS_REFUSING = "198.51.100.55"  # dnsmasq with no data and no upstream: answers REFUSED
DNS_PORTAL = "198.51.100.56"  # dnsmasq answering every name with HEALTHY (a captive portal)
PROXY = "198.51.100.80"  # tinyproxy with BasicAuth and a deny filter
PROXY_PORT = 3128
CLOSED_PORT = 9  # nothing listens on it anywhere
SQUID = "198.51.100.81"  # squid ssl-bump (started only by the tests that use it)
SQUID_PORT = 3128
AUTH_PROXY = "198.51.100.82"  # answers every request 407, offering only NTLM and Negotiate
AUTH_PROXY_PORT = 3128
PROXY_USER = "user"
PROXY_PASSWORD = "secret"

# the private-endpoint answer: assigned only inside ncw-srv, served by the TLS server too
PRIVATE = "10.20.30.40"

# genuine servers (the TLS server) that tests may have the fw redirect to a transparent interceptor
INSPECTED_KNOWN = "198.51.100.20"
INSPECTED_UNKNOWN = "198.51.100.21"

# mitmdump in ncw-fw, one process per inspection CA, each an explicit proxy on FW_CLIENT_SIDE
# and a transparent proxy behind the fw's REDIRECT (started only by the tests that use them)
MITM_KNOWN_PROXY_PORT = 8080
MITM_KNOWN_TRANSPARENT_PORT = 8081
MITM_UNKNOWN_PROXY_PORT = 8090
MITM_UNKNOWN_TRANSPARENT_PORT = 8091

# addresses in ncw-srv that the firewall obstructs (each would work without the fw rules)
OBSTRUCTED_NET = "203.0.113.0/24"
TCP_DROP = "203.0.113.20"
TCP_RESET = "203.0.113.21"
TCP_UNREACHABLE = "203.0.113.22"
DNS_DROPPED = "203.0.113.53"  # dnsmasq forwards a zone here; the fw drops it: a DNS timeout

SRV_ADDRESSES = (
    SRV_ADDR,
    HEALTHY,
    LEGACY_TLS,
    TLS_STALL,
    TLS10_ONLY,
    DNS_CLIENT_VIEW,
    DNS_PROXY_VIEW,
    DNS_REFUSING,
    DNS_PORTAL,
    PROXY,
    SQUID,
    AUTH_PROXY,
    INSPECTED_KNOWN,
    INSPECTED_UNKNOWN,
    TCP_DROP,
    TCP_RESET,
    TCP_UNREACHABLE,
    DNS_DROPPED,
)

# the TLS server listens on these addresses, port 443
TLS_ADDRESSES = (
    HEALTHY,
    INSPECTED_KNOWN,
    INSPECTED_UNKNOWN,
    PRIVATE,
    TCP_DROP,
    TCP_RESET,
    TCP_UNREACHABLE,
)
