"""Every finding code with its meaning, why it matters and how to fix it. Codes never change."""

from __future__ import annotations

from dataclasses import dataclass

from netcheck.models import Severity

_NETWORK_DOC = "https://learn.microsoft.com/azure/automation/automation-network-configuration"
_DNS_DOC = "https://learn.microsoft.com/azure/automation/how-to/automation-region-dns-records"
_CA_DOC = (
    "https://learn.microsoft.com/azure/security/fundamentals/azure-certificate-authority-details"
)
_HRW_TROUBLESHOOT = (
    "https://learn.microsoft.com/azure/automation/troubleshoot/hybrid-runbook-worker"
)
_TLS_DOC = "https://learn.microsoft.com/azure/automation/automation-managing-data"


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    title: str
    why: str
    fix: str
    docs: tuple[str, ...]


CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code(
            "DNS_NXDOMAIN",
            Severity.FAIL,
            "The name does not exist for this resolver",
            "The worker cannot find the service at all; registration and job polling fail before any "
            "connection is tried. A split-horizon DNS zone or a conditional forwarder that owns the "
            "Azure domain is the usual cause.",
            "Check the name with the resolver the worker uses; remove or fix any local zone or "
            "conditional forwarder for the Azure domain, or forward it to a resolver that can answer.",
            (_DNS_DOC,),
        ),
        Code(
            "DNS_NO_ANSWER",
            Severity.FAIL,
            "The name exists but has no address",
            "Without an A or AAAA record the worker has nothing to connect to.",
            "Look at the records the resolver holds for the name; a local override that left only "
            "other record types in place is the usual cause.",
            (_DNS_DOC,),
        ),
        Code(
            "DNS_SERVFAIL",
            Severity.FAIL,
            "The resolver failed to answer",
            "The resolver could not resolve the name (SERVFAIL or REFUSED): its upstream is down, "
            "DNSSEC validation failed, or it refuses this client.",
            "Check the resolver's forwarders and logs; try another resolver with --dns-server to tell "
            "a resolver problem from a name problem.",
            (_NETWORK_DOC,),
        ),
        Code(
            "DNS_TIMEOUT",
            Severity.FAIL,
            "The resolver did not answer in time",
            "A silent resolver stalls every request of the worker; UDP/TCP 53 to the resolver may be "
            "blocked.",
            "Check that the host can reach its resolver on port 53 (UDP and TCP) and that the "
            "resolver can reach the internet or its forwarder.",
            (_NETWORK_DOC,),
        ),
        Code(
            "DNS_SINKHOLE",
            Severity.FAIL,
            "A DNS filter answered with a sinkhole address",
            "Answers such as 0.0.0.0 or 127.0.0.1 come from a DNS filter (a security product or "
            "Pi-hole style blocklist) that blocks the Azure domain; the connection can never reach "
            "Azure.",
            "Allow the name in the DNS filter's policy (allow list the Azure Automation and Log "
            "Analytics domains).",
            (_NETWORK_DOC,),
        ),
        Code(
            "DNS_PRIVATE",
            Severity.INFO,
            "The name resolves to a private address",
            "A private (RFC 1918 or ULA) answer usually means Azure Private Link: the traffic must "
            "then reach the private endpoint through your network, not the internet.",
            "Nothing to do if Private Link is intended; otherwise remove the privatelink zone or "
            "the local override that returns the private address.",
            ("https://learn.microsoft.com/azure/automation/how-to/private-link-security",),
        ),
        Code(
            "TCP_TIMEOUT",
            Severity.FAIL,
            "No answer to the TCP connection (dropped)",
            "Packets to the endpoint are silently dropped, typically by a firewall with a deny rule "
            "that drops instead of rejecting. The worker waits and times out.",
            "Allow outbound TCP 443 from this host to the endpoint in every firewall on the path, or "
            "configure the worker to use the proxy (--proxy) that is allowed out.",
            (_NETWORK_DOC,),
        ),
        Code(
            "TCP_REFUSED",
            Severity.FAIL,
            "The connection was refused (reset)",
            "A TCP reset came back: a firewall rejects the connection, or nothing listens at the "
            "address the name resolved to.",
            "Allow outbound TCP 443 to the endpoint; if DNS points at a wrong address, fix the record.",
            (_NETWORK_DOC,),
        ),
        Code(
            "TCP_UNREACHABLE",
            Severity.FAIL,
            "The address is unreachable (ICMP)",
            "A router or firewall answered that the host or network is unreachable: there is no route "
            "or a rule rejects the traffic with an ICMP message.",
            "Check the host's default route and the firewall rules for outbound TCP 443.",
            (_NETWORK_DOC,),
        ),
        Code(
            "PROXY_UNREACHABLE",
            Severity.FAIL,
            "The proxy cannot be reached",
            "Every request of the worker goes through the proxy; if the proxy does not accept the "
            "connection, nothing works.",
            "Check the proxy address and port, and that the proxy service runs and accepts this host.",
            (_NETWORK_DOC,),
        ),
        Code(
            "PROXY_AUTH_REQUIRED",
            Severity.FAIL,
            "The proxy wants credentials",
            "The proxy answered 407 (or 401): it needs credentials, or refused the ones given.",
            "Give the proxy user and password in the proxy URL (http://user:password@proxy:port) and "
            "configure the same in the agent's proxy settings, or exempt this host from proxy "
            "authentication.",
            (_NETWORK_DOC,),
        ),
        Code(
            "PROXY_DENIED",
            Severity.FAIL,
            "The proxy refused the tunnel",
            "The proxy refused to open a CONNECT tunnel to the endpoint (403 or another error): its "
            "policy does not allow the destination, or it could not reach it.",
            "Add the endpoint (or its wildcard) to the proxy's allow list for CONNECT on port 443; "
            "'netcheck rules' prints the list.",
            (_NETWORK_DOC,),
        ),
        Code(
            "TLS_INTERCEPTED",
            Severity.FAIL,
            "TLS is intercepted: the certificate is not Microsoft's",
            "A proxy or firewall decrypts the connection and presents its own certificate. The agent "
            "rejects it (event 4502: 'The certificate presented by the service ... was not issued by "
            "a certificate authority used for Microsoft services'), so registration fails although "
            "TCP 443 works.",
            "Exclude the Azure Automation and Log Analytics domains from TLS inspection on the device "
            "that issued the certificate (see evidence.issuer).",
            (_HRW_TROUBLESHOOT, _CA_DOC),
        ),
        Code(
            "TLS_UNTRUSTED",
            Severity.FAIL,
            "Microsoft's certificate is not trusted here",
            "The chain is Microsoft's own (published thumbprints), but the trust roots in use cannot "
            "validate it: the host's trust store is out of date or missing a root.",
            "Update the operating system's root certificates (or the --ca-bundle given) so that they "
            "include Microsoft's and DigiCert's current roots.",
            (_CA_DOC,),
        ),
        Code(
            "TLS_HOSTNAME_MISMATCH",
            Severity.FAIL,
            "The certificate is for another name",
            "The certificate does not cover the name the worker asked for: a middlebox or a wrong DNS "
            "answer sent the connection to another service.",
            "Check that the name resolves to Azure and that no device on the path answers for it.",
            (_CA_DOC,),
        ),
        Code(
            "TLS_EXPIRED",
            Severity.FAIL,
            "The certificate is expired or not yet valid",
            "Certificates are judged against this host's clock; an expired or not-yet-valid chain is "
            "rejected.",
            "Check the host's clock and time zone (NTP) first; if the clock is right, the device that "
            "presented the certificate serves a stale one.",
            (_CA_DOC,),
        ),
        Code(
            "TLS_PROTOCOL",
            Severity.FAIL,
            "TLS 1.2 or newer cannot be negotiated",
            "Azure Automation accepts only TLS 1.2 or newer; a path that offers only older versions "
            "fails.",
            "Enable TLS 1.2 on the device that answered (often an old proxy or gateway), or on this "
            "host's TLS library.",
            (_TLS_DOC,),
        ),
        Code(
            "TLS_RESET",
            Severity.FAIL,
            "The connection was reset during the TLS handshake",
            "TCP connects but the handshake is cut: typically a firewall that filters by the name "
            "in the TLS ClientHello (SNI) and resets blocked destinations.",
            "Allow the endpoint's name in the firewall's SNI or URL filtering policy.",
            (_NETWORK_DOC,),
        ),
        Code(
            "TLS_TIMEOUT",
            Severity.FAIL,
            "No answer to the TLS handshake",
            "TCP connects but nothing answers the ClientHello: a device holds the connection without "
            "forwarding it.",
            "Check firewalls that filter by SNI or application and allow the endpoint.",
            (_NETWORK_DOC,),
        ),
        Code(
            "HTTP_ERROR",
            Severity.FAIL,
            "No usable HTTP answer",
            "The TLS connection works but no usable HTTP answer came back, or a proxy answered with "
            "its own error or block page.",
            "Look at the status and body in the evidence; allow the endpoint in the device that "
            "answered.",
            (_NETWORK_DOC,),
        ),
        Code(
            "CANARY_ANSWERED",
            Severity.WARN,
            "A name that cannot exist got an answer",
            "netcheck asked for a random name under a required domain. A healthy resolver says "
            "NXDOMAIN and a healthy proxy refuses the tunnel; an answer means a resolver or "
            "middlebox answers every name (DNS hijack, captive portal, an 'accept all' proxy), so "
            "a pass elsewhere may not have reached Azure. Some zones are legitimately wildcards, "
            "so this is a warning, not a failure.",
            "Look at what answered (evidence: addresses, certificate issuer) and check the "
            "resolver's and the proxy's policy for the Azure domains.",
            (_NETWORK_DOC,),
        ),
        Code(
            "REVOCATION_UNREACHABLE",
            Severity.WARN,
            "A certificate revocation host is unreachable (port 80)",
            "Windows and some TLS stacks fetch CRLs, OCSP answers and missing intermediates over "
            "plain HTTP; when they cannot, a handshake may stall or fail on hosts that enforce "
            "revocation checking. It is never a sign of interception.",
            "Allow outbound HTTP (TCP 80) to the CRL, OCSP and AIA hosts Microsoft lists "
            "('netcheck rules --include-revocation').",
            (_CA_DOC,),
        ),
        Code(
            "CLOCK_SKEW",
            Severity.WARN,
            "This host's clock differs from Azure's by more than five minutes",
            "Certificate validity and Azure's authentication tokens depend on the clock; a skewed "
            "clock makes valid certificates look expired and tokens be refused.",
            "Synchronise the clock with NTP (w32tm /resync on Windows, chronyc or timedatectl on "
            "Linux).",
            (_HRW_TROUBLESHOOT,),
        ),
        Code(
            "TLS_INTERCEPTION_PARTIAL",
            Severity.INFO,
            "Only some endpoints are intercepted",
            "Inspection policies usually work by URL category, so some Azure names are decrypted "
            "and others not; the list tells the network team which categories to exempt.",
            "Exempt the intercepted names (evidence.intercepted) from TLS inspection, as the "
            "others already are.",
            (_HRW_TROUBLESHOOT,),
        ),
    )
}


def code(name: str) -> Code:
    return CODES[name]
