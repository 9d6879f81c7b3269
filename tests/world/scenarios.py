"""The scenario table: one host name per obstacle, and the finding code it must produce.

Every scenario lives in the zone `tl.azure-automation.net` (region "testland", code `tl`).
The table drives the DNS records, the firewall, the TLS server's per-name behaviour and the
test catalogues, so adding a row here is all it takes to add a scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.world import plan

ZONE = "tl.azure-automation.net"
PRIVATELINK_ZONE = "privatelink.azure-automation.net"

# The sites of the TLS server: which chain a name gets and what happens after the handshake.
SITE_MICROSOFT_RSA = "microsoft-rsa"
SITE_MICROSOFT_ECC = "microsoft-ecc"
SITE_MICROSOFT_ROOT_2017 = "microsoft-root-2017"
SITE_ZSCALER = "zscaler"
SITE_CONTOSO = "contoso"
SITE_SELF_SIGNED = "self-signed"
SITE_FORGED = "forged-microsoft"
SITE_WRONG_NAME = "wrong-name"
SITE_EXPIRED = "expired"
SITE_SILENT_HTTP = "silent-http"
SITE_SKEWED_CLOCK = "skewed-clock"
SITE_EXPIRING = "expiring"
SITE_MICROSOFT_NEW_CA = "microsoft-new-ca"


@dataclass(frozen=True)
class Scenario:
    label: str
    code: str | None  # the finding it must produce; None: the target must pass
    why: str
    address: str | None = None  # its A record
    site: str | None = None  # the TLS server site answering its SNI (None: not the TLS server)
    txt_only: bool = False
    forward_to: str | None = None  # dnsmasq forwards the name to this (dead or dropped) server
    private_address: str | None = None  # reached through a CNAME into the privatelink zone
    sni_blocked: bool = False
    proxy_view_only: bool = False  # only the proxy's resolver knows the name
    proxy_deny: bool = False  # tinyproxy's filter denies the name
    port: int = 443  # 80: a certificate revocation host (plain HTTP)
    wildcard: bool = False  # the endpoint is *.<host>, and every name under <host> resolves

    @property
    def host(self) -> str:
        return f"{self.label}.{ZONE}"

    @property
    def pattern(self) -> str:
        return f"*.{self.host}" if self.wildcard else self.host


# The scenarios of the main scenario catalogue, probed together in one direct run.
DIRECT = (
    Scenario(
        "healthy",
        None,
        "Microsoft RSA chain under DigiCert Global Root G2",
        plan.HEALTHY,
        SITE_MICROSOFT_RSA,
    ),
    Scenario(
        "ecc",
        None,
        "Microsoft ECC chain (P-384) under DigiCert Global Root G3",
        plan.HEALTHY,
        SITE_MICROSOFT_ECC,
    ),
    Scenario(
        "msroot",
        None,
        "Microsoft RSA chain under Microsoft RSA Root CA 2017",
        plan.HEALTHY,
        SITE_MICROSOFT_ROOT_2017,
    ),
    Scenario("absent", "DNS_NXDOMAIN", "no record; the zone is local to dnsmasq"),
    Scenario("txtonly", "DNS_NO_ANSWER", "the name has a TXT record only", txt_only=True),
    Scenario(
        "servfail",
        "DNS_SERVFAIL",
        "dnsmasq forwards it to a server that answers REFUSED",
        forward_to=plan.DNS_REFUSING,
    ),
    Scenario(
        "dnstimeout",
        "DNS_TIMEOUT",
        "dnsmasq forwards it to an address the fw drops",
        forward_to=plan.DNS_DROPPED,
    ),
    Scenario("sinkhole-zero", "DNS_SINKHOLE", "answer 0.0.0.0", "0.0.0.0"),
    Scenario("sinkhole-loopback", "DNS_SINKHOLE", "answer 127.0.0.1", "127.0.0.1"),
    Scenario(
        "private",
        "DNS_PRIVATE",
        "CNAME to the privatelink zone, answer 10.x, healthy server",
        site=SITE_MICROSOFT_RSA,
        private_address=plan.PRIVATE,
    ),
    Scenario("tcp-drop", "TCP_TIMEOUT", "the fw drops the SYN", plan.TCP_DROP),
    Scenario("tcp-reset", "TCP_REFUSED", "the fw answers the SYN with a reset", plan.TCP_RESET),
    Scenario(
        "tcp-unreachable",
        "TCP_UNREACHABLE",
        "the fw answers ICMP host unreachable",
        plan.TCP_UNREACHABLE,
    ),
    Scenario(
        "sni-blocked",
        "TLS_RESET",
        "the fw resets connections whose ClientHello names it",
        plan.HEALTHY,
        SITE_MICROSOFT_RSA,
        sni_blocked=True,
    ),
    Scenario(
        "tls-stall", "TLS_TIMEOUT", "a listener that accepts and never answers", plan.TLS_STALL
    ),
    Scenario(
        "tls-legacy", "TLS_PROTOCOL", "a server that speaks TLS 1.0/1.1 only", plan.LEGACY_TLS
    ),
    Scenario(
        "tls10",
        "TLS_PROTOCOL",
        "a server that speaks TLS 1.0 only and resets a ClientHello that does not offer it",
        plan.TLS10_ONLY,
    ),
    Scenario(
        "expiring",
        "TLS_EXPIRING",
        "a Microsoft-chained leaf that expires in 10 days",
        plan.HEALTHY,
        SITE_EXPIRING,
    ),
    Scenario(
        "new-ca",
        "CATALOGUE_STALE",
        "an issuing CA the catalogue does not list, under DigiCert Global Root G2, which it lists",
        plan.HEALTHY,
        SITE_MICROSOFT_NEW_CA,
    ),
    Scenario(
        "zscaler",
        "TLS_INTERCEPTED",
        "leaf from Zscaler Intermediate Root CA (zscaler.net)",
        plan.HEALTHY,
        SITE_ZSCALER,
    ),
    Scenario(
        "contoso",
        "TLS_INTERCEPTED",
        "leaf from an inspection CA nobody knows by name",
        plan.HEALTHY,
        SITE_CONTOSO,
    ),
    Scenario("selfsigned", "TLS_INTERCEPTED", "a self-signed leaf", plan.HEALTHY, SITE_SELF_SIGNED),
    Scenario(
        "forged",
        "TLS_INTERCEPTED",
        "Microsoft's CA names with other keys",
        plan.HEALTHY,
        SITE_FORGED,
    ),
    Scenario(
        "wrongname",
        "TLS_HOSTNAME_MISMATCH",
        "a Microsoft-chained leaf for another name",
        plan.HEALTHY,
        SITE_WRONG_NAME,
    ),
    Scenario(
        "expired",
        "TLS_EXPIRED",
        "a Microsoft-chained leaf that expired 30 days ago",
        plan.HEALTHY,
        SITE_EXPIRED,
    ),
    Scenario(
        "http-silent",
        "HTTP_ERROR",
        "TLS completes, then the server closes without answer",
        plan.HEALTHY,
        SITE_SILENT_HTTP,
    ),
)

# Chains that must pass: the genuine (minted) Microsoft chains.
GENUINE = DIRECT[:3]

# Probed through tinyproxy with the right credentials: these pass ...
PROXY_PASSING = (
    DIRECT[0],
    Scenario(
        "proxy-only",
        None,
        "only the proxy's resolver knows the name",
        plan.HEALTHY,
        SITE_MICROSOFT_RSA,
        proxy_view_only=True,
    ),
)
# ... and these fail.
PROXY_FAILING = (
    Scenario(
        "proxy-denied",
        "PROXY_DENIED",
        "tinyproxy's filter denies the name (403)",
        plan.HEALTHY,
        SITE_MICROSOFT_RSA,
        proxy_deny=True,
    ),
    Scenario(
        "proxy-zscaler",
        "TLS_INTERCEPTED",
        "interception seen through the tunnel",
        plan.HEALTHY,
        SITE_ZSCALER,
    ),
)
THROUGH_PROXY = PROXY_PASSING + PROXY_FAILING

# A required wildcard domain where every name resolves: netcheck's canary must notice.
CANARY = (
    Scenario(
        "answers-all",
        "CANARY_ANSWERED",
        "a zone that answers every name",
        plan.HEALTHY,
        wildcard=True,
    ),
)

# A required wildcard domain with no name under it: a healthy path gives its canary NXDOMAIN.
QUIET_ZONE = (
    Scenario(
        "quiet", None, "a wildcard domain with no names: the canary must not answer", wildcard=True
    ),
)

# Genuine servers on addresses of their own, so that the fw can redirect each one to a
# transparent interceptor (tests turn the redirect on): the codes hold while it is on.
TRANSPARENT = (
    Scenario(
        "inspected-known",
        "TLS_INTERCEPTED",
        "the fw redirects it to mitmdump with mitmproxy's own generated CA",
        plan.INSPECTED_KNOWN,
        SITE_MICROSOFT_RSA,
    ),
    Scenario(
        "inspected-unknown",
        "TLS_INTERCEPTED",
        "the fw redirects it to mitmdump with a CA no signature list knows",
        plan.INSPECTED_UNKNOWN,
        SITE_MICROSOFT_RSA,
    ),
)

# Port-80 revocation hosts: unreachable ones are warnings, not failures.
REVOCATION = (
    Scenario("crl-ok", None, "plain HTTP answers", plan.HEALTHY, port=80),
    Scenario(
        "crl-reset", "REVOCATION_UNREACHABLE", "the fw resets port 80", plan.TCP_RESET, port=80
    ),
)

# Servers whose Date header is two hours ahead: this host's clock looks wrong.
SKEWED_CLOCK = tuple(
    Scenario(
        f"skewed-clock-{n}",
        "CLOCK_SKEW",
        "HTTP Date two hours ahead",
        plan.HEALTHY,
        SITE_SKEWED_CLOCK,
    )
    for n in (1, 2)
)
SKEW_SECONDS = 7200

# Every target of the blackhole catalogue is dropped by the fw.
BLACKHOLE = tuple(
    Scenario(f"blackhole-{n}", "TCP_TIMEOUT", "the fw drops the SYN", plan.TCP_DROP)
    for n in range(1, 9)
)

# Run-level causes: groups whose every target fails the same way (tests/e2e/test_root_causes).
NXDOMAIN_ONLY = (
    next(s for s in DIRECT if s.label == "absent"),
    Scenario("absent-2", "DNS_NXDOMAIN", "no record either; the zone is local to dnsmasq"),
)
EGRESS_REFUSED = tuple(
    Scenario(f"egress-{n}", "TCP_REFUSED", "the fw answers the SYN with a reset", plan.TCP_RESET)
    for n in (1, 2)
)
# Names no view knows; through the portal's resolver (plan.DNS_PORTAL) they, and the canary
# under the wildcard zone, all lead to the healthy server, whose certificate names others.
REDIRECTED = (
    Scenario("portal-1", "TLS_HOSTNAME_MISMATCH", "redirected by the portal's resolver"),
    Scenario("portal-2", "TLS_HOSTNAME_MISMATCH", "redirected by the portal's resolver"),
    Scenario("portal-zone", None, "a wildcard domain: its canary is redirected too", wildcard=True),
)

ALL = (
    DIRECT
    + NXDOMAIN_ONLY[1:]
    + EGRESS_REFUSED
    + REDIRECTED
    + THROUGH_PROXY[1:]
    + CANARY
    + QUIET_ZONE
    + TRANSPARENT
    + REVOCATION
    + SKEWED_CLOCK
    + BLACKHOLE
)


def by_label(label: str) -> Scenario:
    for scenario in ALL:
        if scenario.label == label:
            return scenario
    raise KeyError(label)
