"""Hand-built targets, certificates and observations for the rule and report tests.

Each builder describes a path that works, so a test replaces only the step it is about.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from netcheck.findings.base import RuleContext
from netcheck.interceptors import load_products
from netcheck.models import (
    CertificateInfo,
    Deployment,
    DnsObservation,
    HttpObservation,
    Observation,
    Outcome,
    ProxyObservation,
    Target,
    TcpObservation,
    TlsObservation,
    TrustVerdict,
)

HOST = "acct.agentsvc.azure-automation.net"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
DAY = dt.timedelta(days=1)
PROXY = "http://svc:***@proxy.corp:3128"

MS_ISSUER = "CN=Microsoft Azure RSA TLS Issuing CA 03,O=Microsoft Corporation,C=US"
MS_ROOT = "CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US"
MS_INTERMEDIATE_SHA1 = "F9388EA2C9B7D632B66A2B0B406DF1D37D3901F6"
MS_ROOT_SHA1 = "DF3C24F9BFD666761B268073FE06D1CC8D4F82A4"

# Microsoft's CAs as the rules see them: names and thumbprints chosen here, not the catalogue's.
CTX = RuleContext(
    microsoft_names=frozenset({"microsoft azure rsa tls issuing ca 03", "digicert global root g2"}),
    microsoft_thumbprints=frozenset({MS_INTERMEDIATE_SHA1, MS_ROOT_SHA1}),
    products=load_products(),
)


def target(host: str = HOST, **changes: Any) -> Target:
    fields: dict[str, Any] = {
        "host": host,
        "port": 443,
        "endpoint_ids": ("agentsvc-workspace",),
        "purpose": "Agent service",
        "deployments": frozenset({Deployment.AGENT}),
        "bypass_inspection": True,
        "source": "unit test",
    }
    fields.update(changes)
    return Target(**fields)


def _cn(name: str) -> str | None:
    first = name.split(",", 1)[0]
    return first[3:] if first.startswith("CN=") else None


def cert(
    subject: str,
    issuer: str,
    *,
    sha1: str = "AB" * 20,
    dns_names: tuple[str, ...] = (),
    not_before: dt.datetime = NOW - 30 * DAY,
    not_after: dt.datetime = NOW + 300 * DAY,
) -> CertificateInfo:
    return CertificateInfo(
        subject=subject,
        issuer=issuer,
        subject_cn=_cn(subject),
        issuer_cn=_cn(issuer),
        sha1=sha1,
        sha256="CD" * 32,
        serial="1234",
        not_before=not_before.isoformat(),
        not_after=not_after.isoformat(),
        key_type="RSA 2048",
        dns_names=dns_names,
        self_signed=subject == issuer,
        pem="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )


def leaf(
    issuer: str = MS_ISSUER,
    *,
    not_before: dt.datetime = NOW - 30 * DAY,
    not_after: dt.datetime = NOW + 300 * DAY,
) -> CertificateInfo:
    return cert(
        f"CN={HOST}",
        issuer,
        dns_names=("*.agentsvc.azure-automation.net",),
        not_before=not_before,
        not_after=not_after,
    )


def ca_cert(subject: str, issuer: str, sha1: str) -> CertificateInfo:
    return cert(subject, issuer, sha1=sha1, not_after=NOW + 3000 * DAY)


GENUINE_CHAIN = (leaf(), ca_cert(MS_ISSUER, MS_ROOT, MS_INTERMEDIATE_SHA1))


def tls_ok(
    chain: tuple[CertificateInfo, ...] = GENUINE_CHAIN,
    *,
    trusted: bool = True,
    hostname_matches: bool = True,
) -> TlsObservation:
    verdict = TrustVerdict(
        "certifi", trusted, None if trusted else "unable to get local issuer certificate"
    )
    return TlsObservation(
        Outcome.OK, "TLSv1.3", "TLS_AES_256_GCM_SHA384", chain, (verdict,), hostname_matches
    )


DNS_OK = DnsObservation(Outcome.OK, ("10.255.0.53",), ("20.50.2.1",), (), None, 3.0)
TCP_OK = TcpObservation(Outcome.OK, "20.50.2.1", ("20.50.2.1: connected",), None, 2.0)
HTTP_OK = HttpObservation(
    Outcome.OK,
    404,
    "Not Found",
    {"date": NOW.strftime("%a, %d %b %Y %H:%M:%S GMT"), "server": "Microsoft-HTTPAPI/2.0"},
)
_UNSET: Any = object()


def observed(
    *,
    dns: DnsObservation | None = DNS_OK,
    tcp: TcpObservation | None = TCP_OK,
    tls: TlsObservation | None = _UNSET,
    http: HttpObservation | None = HTTP_OK,
    proxy: ProxyObservation | None = None,
    via_proxy: str | None = None,
) -> Observation:
    """A direct path where every step works, unless a step is given."""
    return Observation(
        checked_at=NOW.isoformat(),
        via_proxy=via_proxy,
        dns=dns,
        proxy=proxy,
        tcp=tcp,
        tls=tls_ok() if tls is _UNSET else tls,
        http=http,
    )


PROXY_TCP_OK = TcpObservation(Outcome.OK, "10.0.0.5", ("10.0.0.5: connected",))
TUNNEL_OK = ProxyObservation(Outcome.OK, PROXY, 200, "Connection established")


def through_proxy(
    *, proxy: ProxyObservation | None = TUNNEL_OK, tcp: TcpObservation = PROXY_TCP_OK, **steps: Any
) -> Observation:
    """A path through the proxy where every step works, unless a step is given."""
    return observed(via_proxy=PROXY, proxy=proxy, tcp=tcp, **steps)
