"""Every finding code as one typed record: severity, title, why, fix, documentation, rank.

Code elsewhere refers to a record by its name (`codes.TLS_INTERCEPTED`), so the type checker
catches a misspelt code. Codes never change once released: they are the JSON contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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
_EXTENSION_INSTALL = (
    "https://learn.microsoft.com/azure/automation/extension-based-hybrid-runbook-worker-install"
)
_EXTENSION_TROUBLESHOOT = "https://learn.microsoft.com/azure/automation/troubleshoot/extension-based-hybrid-runbook-worker"
_MIGRATE_DOC = "https://learn.microsoft.com/azure/automation/migrate-existing-agent-based-hybrid-worker-to-extension-based-workers"
_LINUX_AGENT_DOC = "https://learn.microsoft.com/azure/azure-monitor/agents/agent-linux-troubleshoot"
_SCHANNEL_DOC = "https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings"
_DOTNET_TLS_DOC = "https://learn.microsoft.com/dotnet/framework/network-programming/tls"
_WINHTTP_PROXY_DOC = "https://learn.microsoft.com/windows/win32/winhttp/winhttp-autoproxy-support"
_DNSPYTHON_DOC = "https://dnspython.readthedocs.io/en/stable/resolver-class.html"


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    title: str
    why: str
    fix: str
    docs: tuple[str, ...]
    # How likely this is to be *the* reason a worker fails, as diagnose ranks causes: lower
    # first, compared after severity. Things that stop everything (a stopped service, an
    # unusable proxy, interception) come before things that stop one endpoint.
    priority: int


DNS_NXDOMAIN: Final = Code(
    "DNS_NXDOMAIN",
    Severity.FAIL,
    "The name does not exist for this resolver",
    "The worker cannot find the service at all; registration and job polling fail before any "
    "connection is tried. A split-horizon DNS zone or a conditional forwarder that owns the "
    "Azure domain is the usual cause.",
    "Check the name with the resolver the worker uses; remove or fix any local zone or "
    "conditional forwarder for the Azure domain, or forward it to a resolver that can answer.",
    (_DNS_DOC,),
    priority=80,
)


DNS_NO_ANSWER: Final = Code(
    "DNS_NO_ANSWER",
    Severity.FAIL,
    "The name exists but has no address",
    "Without an A or AAAA record the worker has nothing to connect to.",
    "Look at the records the resolver holds for the name; a local override that left only "
    "other record types in place is the usual cause.",
    (_DNS_DOC,),
    priority=110,
)


DNS_SERVFAIL: Final = Code(
    "DNS_SERVFAIL",
    Severity.FAIL,
    "The resolver failed to answer",
    "The resolver could not resolve the name (SERVFAIL or REFUSED): its upstream is down, "
    "DNSSEC validation failed, or it refuses this client.",
    "Check the resolver's forwarders and logs; try another resolver with --dns-server to tell "
    "a resolver problem from a name problem.",
    (_NETWORK_DOC,),
    priority=100,
)


DNS_TIMEOUT: Final = Code(
    "DNS_TIMEOUT",
    Severity.FAIL,
    "The resolver did not answer in time",
    "A silent resolver stalls every request of the worker; UDP/TCP 53 to the resolver may be "
    "blocked.",
    "Check that the host can reach its resolver on port 53 (UDP and TCP) and that the "
    "resolver can reach the internet or its forwarder.",
    (_NETWORK_DOC,),
    priority=90,
)


DNS_SINKHOLE: Final = Code(
    "DNS_SINKHOLE",
    Severity.FAIL,
    "A DNS filter answered with a sinkhole address",
    "Answers such as 0.0.0.0 or 127.0.0.1 come from a DNS filter (a security product or "
    "Pi-hole style blocklist) that blocks the Azure domain; the connection can never reach "
    "Azure.",
    "Allow the name in the DNS filter's policy (allow list the Azure Automation and Log "
    "Analytics domains).",
    (_NETWORK_DOC,),
    priority=70,
)


DNS_PRIVATE: Final = Code(
    "DNS_PRIVATE",
    Severity.INFO,
    "The name resolves to a private address",
    "A private (RFC 1918 or ULA) answer usually means Azure Private Link: the traffic must "
    "then reach the private endpoint through your network, not the internet.",
    "Nothing to do if Private Link is intended; otherwise remove the privatelink zone or "
    "the local override that returns the private address.",
    ("https://learn.microsoft.com/azure/automation/how-to/private-link-security",),
    priority=400,
)


TCP_TIMEOUT: Final = Code(
    "TCP_TIMEOUT",
    Severity.FAIL,
    "No answer to the TCP connection (dropped)",
    "Packets to the endpoint are silently dropped, typically by a firewall with a deny rule "
    "that drops instead of rejecting. The worker waits and times out.",
    "Allow outbound TCP 443 from this host to the endpoint in every firewall on the path, or "
    "configure the worker to use the proxy (--proxy) that is allowed out.",
    (_NETWORK_DOC,),
    priority=120,
)


TCP_REFUSED: Final = Code(
    "TCP_REFUSED",
    Severity.FAIL,
    "The connection was refused (reset)",
    "A TCP reset came back: a firewall rejects the connection, or nothing listens at the "
    "address the name resolved to.",
    "Allow outbound TCP 443 to the endpoint; if DNS points at a wrong address, fix the record.",
    (_NETWORK_DOC,),
    priority=130,
)


TCP_UNREACHABLE: Final = Code(
    "TCP_UNREACHABLE",
    Severity.FAIL,
    "The address is unreachable (ICMP)",
    "A router or firewall answered that the host or network is unreachable: there is no route "
    "or a rule rejects the traffic with an ICMP message.",
    "Check the host's default route and the firewall rules for outbound TCP 443.",
    (_NETWORK_DOC,),
    priority=140,
)


PROXY_UNREACHABLE: Final = Code(
    "PROXY_UNREACHABLE",
    Severity.FAIL,
    "The proxy cannot be reached",
    "Every request of the worker goes through the proxy; if the proxy does not accept the "
    "connection, nothing works.",
    "Check the proxy address and port, and that the proxy service runs and accepts this host.",
    (_NETWORK_DOC,),
    priority=30,
)


PROXY_AUTH_REQUIRED: Final = Code(
    "PROXY_AUTH_REQUIRED",
    Severity.FAIL,
    "The proxy wants credentials",
    "The proxy answered 407 (or 401): it needs credentials, or refused the ones given.",
    "Give the proxy user and password in the proxy URL (http://user:password@proxy:port) and "
    "configure the same in the agent's proxy settings, or exempt this host from proxy "
    "authentication.",
    (_NETWORK_DOC,),
    priority=40,
)


PROXY_DENIED: Final = Code(
    "PROXY_DENIED",
    Severity.FAIL,
    "The proxy refused the tunnel",
    "The proxy refused to open a CONNECT tunnel to the endpoint (403 or another error): its "
    "policy does not allow the destination, or it could not reach it.",
    "Add the endpoint (or its wildcard) to the proxy's allow list for CONNECT on port 443; "
    "'netcheck rules' prints the list.",
    (_NETWORK_DOC,),
    priority=150,
)


TLS_INTERCEPTED: Final = Code(
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
    priority=50,
)


TLS_UNTRUSTED: Final = Code(
    "TLS_UNTRUSTED",
    Severity.FAIL,
    "Microsoft's certificate is not trusted here",
    "The chain is Microsoft's own (published thumbprints), but the trust roots in use cannot "
    "validate it: the host's trust store is out of date or missing a root.",
    "Update the operating system's root certificates (or the --ca-bundle given) so that they "
    "include Microsoft's and DigiCert's current roots.",
    (_CA_DOC,),
    priority=190,
)


TLS_HOSTNAME_MISMATCH: Final = Code(
    "TLS_HOSTNAME_MISMATCH",
    Severity.FAIL,
    "The certificate is for another name",
    "The certificate does not cover the name the worker asked for: a middlebox or a wrong DNS "
    "answer sent the connection to another service.",
    "Check that the name resolves to Azure and that no device on the path answers for it.",
    (_CA_DOC,),
    priority=220,
)


TLS_EXPIRED: Final = Code(
    "TLS_EXPIRED",
    Severity.FAIL,
    "The certificate is expired or not yet valid",
    "Certificates are judged against this host's clock; an expired or not-yet-valid chain is "
    "rejected.",
    "Check the host's clock and time zone (NTP) first; if the clock is right, the device that "
    "presented the certificate serves a stale one.",
    (_CA_DOC,),
    priority=200,
)


TLS_PROTOCOL: Final = Code(
    "TLS_PROTOCOL",
    Severity.FAIL,
    "TLS 1.2 or newer cannot be negotiated",
    "Azure Automation accepts only TLS 1.2 or newer; a path that offers only older versions fails.",
    "Enable TLS 1.2 on the device that answered (often an old proxy or gateway), or on this "
    "host's TLS library.",
    (_TLS_DOC,),
    priority=180,
)


TLS_RESET: Final = Code(
    "TLS_RESET",
    Severity.FAIL,
    "The connection was reset during the TLS handshake",
    "TCP connects but the handshake is cut: typically a firewall that filters by the name "
    "in the TLS ClientHello (SNI) and resets blocked destinations.",
    "Allow the endpoint's name in the firewall's SNI or URL filtering policy.",
    (_NETWORK_DOC,),
    priority=160,
)


TLS_TIMEOUT: Final = Code(
    "TLS_TIMEOUT",
    Severity.FAIL,
    "No answer to the TLS handshake",
    "TCP connects but nothing answers the ClientHello: a device holds the connection without "
    "forwarding it.",
    "Check firewalls that filter by SNI or application and allow the endpoint.",
    (_NETWORK_DOC,),
    priority=170,
)


HTTP_ERROR: Final = Code(
    "HTTP_ERROR",
    Severity.FAIL,
    "No usable HTTP answer",
    "The TLS connection works but no usable HTTP answer came back, or a proxy answered with "
    "its own error or block page.",
    "Look at the status and body in the evidence; allow the endpoint in the device that answered.",
    (_NETWORK_DOC,),
    priority=230,
)


CANARY_ANSWERED: Final = Code(
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
    priority=310,
)


REVOCATION_UNREACHABLE: Final = Code(
    "REVOCATION_UNREACHABLE",
    Severity.WARN,
    "A certificate revocation host is unreachable (port 80)",
    "Windows and some TLS stacks fetch CRLs, OCSP answers and missing intermediates over "
    "plain HTTP; when they cannot, a handshake may stall or fail on hosts that enforce "
    "revocation checking. It is never a sign of interception.",
    "Allow outbound HTTP (TCP 80) to the CRL, OCSP and AIA hosts Microsoft lists "
    "('netcheck rules --include-revocation').",
    (_CA_DOC,),
    priority=370,
)


CLOCK_SKEW: Final = Code(
    "CLOCK_SKEW",
    Severity.WARN,
    "This host's clock differs from Azure's by more than five minutes",
    "Certificate validity and Azure's authentication tokens depend on the clock; a skewed "
    "clock makes valid certificates look expired and tokens be refused.",
    "Synchronise the clock with NTP (w32tm /resync on Windows, chronyc or timedatectl on Linux).",
    (_HRW_TROUBLESHOOT,),
    priority=210,
)


TLS_INTERCEPTION_PARTIAL: Final = Code(
    "TLS_INTERCEPTION_PARTIAL",
    Severity.INFO,
    "Only some endpoints are intercepted",
    "Inspection policies usually work by URL category, so some Azure names are decrypted "
    "and others not; the list tells the network team which categories to exempt.",
    "Exempt the intercepted names (evidence.intercepted) from TLS inspection, as the "
    "others already are.",
    (_HRW_TROUBLESHOOT,),
    priority=390,
)


HOST_OS_UNSUPPORTED: Final = Code(
    "HOST_OS_UNSUPPORTED",
    Severity.WARN,
    "The operating system is not on the worker's supported list",
    "Microsoft lists the distributions and versions each worker type supports. The "
    "worker may install and run elsewhere, but failures there are not investigated by "
    "support, and an old release often lacks the TLS library or Python the worker needs.",
    "Move the worker to a listed release (extension-based workers: Debian, Ubuntu LTS, "
    "SLES 15, RHEL and Oracle Linux 7 or 8, or a supported Windows Server).",
    (_EXTENSION_INSTALL,),
    priority=340,
)


HOST_CPU_LOW: Final = Code(
    "HOST_CPU_LOW",
    Severity.WARN,
    "Fewer CPU cores than the worker's minimum of two",
    "Both worker types are documented to need two cores. On one core, runbook jobs and the "
    "agent compete, so jobs start late, time out or are suspended, which looks like a "
    "connectivity problem from Azure's side.",
    "Give the machine at least two cores (resize the VM).",
    (_EXTENSION_INSTALL,),
    priority=330,
)


HOST_MEMORY_LOW: Final = Code(
    "HOST_MEMORY_LOW",
    Severity.WARN,
    "Less memory than the worker's minimum of 4 GB",
    "Both worker types are documented to need 4 GB of RAM. With less, the job sandboxes "
    "(PowerShell, Python) are killed or swapped and jobs fail or hang.",
    "Give the machine at least 4 GB of memory.",
    (_EXTENSION_INSTALL,),
    priority=320,
)


HOST_DISK_LOW: Final = Code(
    "HOST_DISK_LOW",
    Severity.WARN,
    "Little free disk space where the worker writes",
    "Microsoft documents no minimum disk size, but the worker writes its state, job "
    "sandboxes, downloaded modules and logs locally; a full disk breaks jobs and "
    "registration in ways that rarely mention the disk. netcheck warns below 1 GiB.",
    "Free space on the file system that holds /var (Linux) or the system drive (Windows).",
    (_HRW_TROUBLESHOOT,),
    priority=350,
)


HOST_TLS_UNSUPPORTED: Final = Code(
    "HOST_TLS_UNSUPPORTED",
    Severity.FAIL,
    "The host's TLS stack cannot speak TLS 1.2",
    "Azure Automation accepts only TLS 1.2 or newer. A host whose TLS library stops at "
    "TLS 1.0 or 1.1 cannot connect to any endpoint, whatever the network allows. On "
    "Windows the worker uses SCHANNEL through .NET: TLS 1.2 disabled for clients in "
    "SCHANNEL, or .NET told not to use strong cryptography (SchUseStrongCrypto=0), "
    "has the same effect.",
    "Update OpenSSL (Linux). On Windows enable TLS 1.2 for clients under "
    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\"
    "TLS 1.2\\Client (Enabled=1, DisabledByDefault=0) and set SchUseStrongCrypto=1 under "
    "both .NETFramework\\v4.0.30319 keys (64- and 32-bit), then restart the worker.",
    (_TLS_DOC, _SCHANNEL_DOC, _DOTNET_TLS_DOC),
    priority=20,
)


AGENT_NOT_INSTALLED: Final = Code(
    "AGENT_NOT_INSTALLED",
    Severity.WARN,
    "No Hybrid Runbook Worker was found",
    "netcheck found neither the Log Analytics agent with its worker nor the Hybrid Worker "
    "extension, so it could not learn the workspace, account, region or proxy, and judged "
    "the host only. Either the worker is not installed, or it lives elsewhere (a "
    "different --root, an unusual install path).",
    "Install the worker (the extension-based one), or point --root at the disk that holds "
    "it; run 'netcheck check' with --region and the IDs to test the network alone.",
    (_EXTENSION_INSTALL,),
    priority=270,
)


AGENT_SERVICE_STOPPED: Final = Code(
    "AGENT_SERVICE_STOPPED",
    Severity.FAIL,
    "The worker's service is not running",
    "A worker whose service or process is down polls for no jobs and sends no heartbeat, "
    "so Azure shows it as disconnected however healthy the network is. A crash loop also "
    "shows here: the service stops again shortly after each start.",
    "Start the service (the finding names the command) and read the worker's log to learn "
    "why it stopped.",
    (_HRW_TROUBLESHOOT, _EXTENSION_TROUBLESHOOT),
    priority=10,
)


AGENT_WORKER_NOT_REGISTERED: Final = Code(
    "AGENT_WORKER_NOT_REGISTERED",
    Severity.WARN,
    "The agent or extension is installed, but no worker registration was found",
    "The Log Analytics agent without a worker.conf, or the extension without an "
    "Automation account URL, is not a Hybrid Runbook Worker yet: registration never "
    "happened or failed, often for the network reasons the other findings describe.",
    "Register the worker again (for the extension: reinstall it with the account's "
    "AutomationHybridServiceUrl) after fixing any network finding.",
    (_EXTENSION_INSTALL,),
    priority=280,
)


AGENT_SETTINGS_UNREADABLE: Final = Code(
    "AGENT_SETTINGS_UNREADABLE",
    Severity.INFO,
    "Part of the worker's configuration could not be read",
    "A file exists but is unreadable or malformed, or the extension's protected settings "
    "are encrypted for the VM's certificate. What they would say (often the proxy) is "
    "unknown, so the diagnosis may miss it.",
    "Run netcheck as root, or give the missing fact yourself (for example --proxy).",
    (_EXTENSION_TROUBLESHOOT,),
    priority=380,
)


AGENT_BASED_RETIRED: Final = Code(
    "AGENT_BASED_RETIRED",
    Severity.WARN,
    "The agent-based worker is retired",
    "The agent-based user Hybrid Runbook Worker was retired on 31 August 2024 and the Log "
    "Analytics agent it runs on is unsupported since then. It may keep working, but "
    "nothing is fixed for it any more, and new agent-based workers are refused.",
    "Migrate to the extension-based worker.",
    (_MIGRATE_DOC,),
    priority=360,
)


AGENT_REGION_UNKNOWN: Final = Code(
    "AGENT_REGION_UNKNOWN",
    Severity.WARN,
    "The worker's region could not be found, so nothing was probed",
    "netcheck learns the region from the worker's own service URLs (the JRDS or "
    "registration URL). Without one, it cannot tell which regional endpoints the worker "
    "uses.",
    "Give the region with --region (and, for a region newer than this release, --catalogue).",
    (_DNS_DOC,),
    priority=300,
)


AGENT_PROXY_UNUSABLE: Final = Code(
    "AGENT_PROXY_UNUSABLE",
    Severity.WARN,
    "The worker's proxy setting cannot be used",
    "The proxy the worker is configured with is malformed, or uses a scheme netcheck "
    "cannot tunnel through (https://). The worker fails the same way if the setting is "
    "malformed; netcheck probes directly instead, which may not be the worker's path.",
    "Correct the setting (syntax: http://[user:password@]host:port), or pass the proxy "
    "with --proxy to probe through it.",
    (_LINUX_AGENT_DOC, _NETWORK_DOC),
    priority=290,
)


LOG_TLS_INTERCEPTION: Final = Code(
    "LOG_TLS_INTERCEPTION",
    Severity.WARN,
    "The worker's log reports a certificate not issued for Microsoft (event 4502)",
    "The agent checks that Azure's certificate comes from a CA Microsoft uses; when it "
    "does not, it logs that the certificate was not issued by a certificate authority "
    "used for Microsoft services (event 4502 on Windows). A TLS-inspecting proxy or "
    "firewall is the cause. A log line may be old: the probes tell whether it still "
    "happens.",
    "Exclude the Azure Automation and Log Analytics domains from TLS inspection on the "
    "proxy or firewall on the worker's path.",
    (_HRW_TROUBLESHOOT, _CA_DOC),
    priority=60,
)


LOG_CERT_VERIFY_FAILED: Final = Code(
    "LOG_CERT_VERIFY_FAILED",
    Severity.WARN,
    "The worker's log reports failed certificate verification",
    "The worker could not validate a server certificate: an inspecting middlebox, an out "
    "of date trust store or a wrong clock.",
    "Compare with the TLS findings of the probes; update the host's root certificates and "
    "check its clock if the probes see Microsoft's own chain.",
    (_CA_DOC,),
    priority=250,
)


LOG_AUTH_REJECTED: Final = Code(
    "LOG_AUTH_REJECTED",
    Severity.WARN,
    "The worker's log reports 401 or 403 answers",
    "Azure refused the worker's credentials: a registration key or certificate that is no "
    "longer valid, a worker removed from its group, or a machine cloned from a registered "
    "one. A proxy can also answer 403 on Azure's behalf.",
    "Remove and register the worker again; if the answer came from a proxy, allow the "
    "endpoint there.",
    (_HRW_TROUBLESHOOT,),
    priority=260,
)


LOG_PROXY_ERROR: Final = Code(
    "LOG_PROXY_ERROR",
    Severity.WARN,
    "The worker's log reports proxy errors",
    "The worker could not get through its proxy: the proxy wanted credentials (407), "
    "could not be resolved or reached, or refused the tunnel.",
    "Check the proxy setting the diagnosis names, and the proxy's credentials and allow list.",
    (_NETWORK_DOC,),
    priority=240,
)


# ---------------------------------------------------------------- causes of the whole run
#
# One finding for a run whose every required target (canaries and port-80 revocation hosts
# aside) fails the same way: the cause, stated once, ranked before everything else.


ROOT_DNS: Final = Code(
    "ROOT_DNS",
    Severity.FAIL,
    "Name resolution fails for every endpoint, the same way",
    "Every required name fails to resolve with the same answer. NXDOMAIN or SERVFAIL from "
    "every name means the resolver answers but has no view of the internet or of these "
    "zones (an internal-only resolver, a broken forwarder, a split-horizon zone); a timeout "
    "for every name means the resolver itself cannot be reached. Nothing else can work "
    "until names resolve.",
    "Point the host at a resolver that can resolve public Azure names (or give its "
    "forwarders a path to the internet); for a timeout, check that UDP and TCP 53 reach the "
    "resolver. 'netcheck check --dns-server IP' tests another resolver.",
    (_NETWORK_DOC, _DNS_DOC),
    priority=1,
)


ROOT_DNS_REDIRECT: Final = Code(
    "ROOT_DNS_REDIRECT",
    Severity.FAIL,
    "Every name, even one that cannot exist, resolves to the same place, and it is not Azure",
    "Every required name and netcheck's random canary names resolve to the same "
    "address(es), and what answers there presents the wrong certificate or a portal page: "
    "a captive portal (hotel, guest Wi-Fi, a network that wants a sign-in) or a DNS filter "
    "that redirects everything to its block page.",
    "Complete the portal's sign-in or move the host to a network without one; for a DNS "
    "filter, allow the Azure Automation and Log Analytics domains in its policy.",
    (_NETWORK_DOC,),
    priority=2,
)


ROOT_EGRESS_BLOCKED: Final = Code(
    "ROOT_EGRESS_BLOCKED",
    Severity.FAIL,
    "Every direct TCP 443 connection is blocked",
    "Every required endpoint resolves, but every direct connection to port 443 is dropped "
    "or refused the same way: outbound HTTPS from this host is closed, typically because "
    "the network expects traffic to go through a proxy.",
    "Open outbound TCP 443 to the endpoints ('netcheck rules' prints the list), or give "
    "the worker the proxy the network expects (and run 'netcheck check --proxy URL').",
    (_NETWORK_DOC,),
    priority=3,
)


ROOT_PROXY: Final = Code(
    "ROOT_PROXY",
    Severity.FAIL,
    "The proxy fails every tunnel the same way",
    "Every request of the worker goes through the proxy, and the proxy gives every CONNECT "
    "the same failure: it cannot be reached, it wants credentials, or it refuses.",
    "Fix the proxy setting or the proxy itself, as the message says: its address and port, "
    "credentials it accepts with Basic authentication, or an allow list for the Azure "
    "endpoints ('netcheck rules --format squid' and others print one).",
    (_NETWORK_DOC,),
    priority=4,
)


ROOT_INTERCEPTION: Final = Code(
    "ROOT_INTERCEPTION",
    Severity.FAIL,
    "Every endpoint is intercepted by the same inspection CA",
    "Every required endpoint presents a certificate from the same issuer that is not "
    "Microsoft's: one TLS-inspecting proxy or firewall decrypts all of the worker's "
    "traffic, and the agent rejects every connection (event 4502).",
    "Exclude the Azure Automation and Log Analytics domains from TLS inspection on the "
    "device named in the message.",
    (_HRW_TROUBLESHOOT, _CA_DOC),
    priority=5,
)


TLS_EXPIRING: Final = Code(
    "TLS_EXPIRING",
    Severity.WARN,
    "A presented certificate expires soon",
    "A certificate of the presented chain (the leaf or an intermediate) expires within the "
    "warning window (30 days unless --expiry-warning-days says otherwise). Azure renews its "
    "certificates well ahead of time, so a certificate this close to its end usually comes "
    "from a device on the path (an inspection CA, an appliance) that nobody renews.",
    "Find the device whose certificate it is (see evidence.subject and evidence.issuer) "
    "and renew it before it expires.",
    (_CA_DOC,),
    priority=305,
)


CATALOGUE_STALE: Final = Code(
    "CATALOGUE_STALE",
    Severity.WARN,
    "A Microsoft CA newer than this catalogue",
    "The issuing CA is not in netcheck's catalogue, but the chain verifies signature by "
    "signature up to a root the catalogue lists by thumbprint. A forger cannot produce such "
    "a chain, so this is a CA Microsoft added after the catalogue was written (Microsoft "
    "adds issuing CAs every year or so), not interception.",
    "Update netcheck, or pass a newer catalogue with --catalogue that lists the CA "
    "(evidence.ca, evidence.sha1).",
    (_CA_DOC,),
    priority=387,
)


DNS_RESOLVERS_DIFFER: Final = Code(
    "DNS_RESOLVERS_DIFFER",
    Severity.INFO,
    "The operating system's resolver and the DNS servers disagree",
    "netcheck asks the DNS servers directly, but the worker resolves through the "
    "operating system, which also reads the hosts file and, on Windows, the Name "
    "Resolution Policy Table (NRPT) and per-interface servers. When the two answer "
    "differently (one resolves, the other does not; or no address in common), the "
    "worker may go somewhere other than where the probes went.",
    "Look for an entry for the name in the hosts file (/etc/hosts or "
    "C:\\Windows\\System32\\drivers\\etc\\hosts) and for NRPT rules "
    "(Get-DnsClientNrptPolicy); remove stale ones.",
    (_DNS_DOC,),
    priority=410,
)


DNS_RESOLVER_CONFIG: Final = Code(
    "DNS_RESOLVER_CONFIG",
    Severity.WARN,
    "The system's DNS resolver configuration cannot be read",
    "netcheck reads the resolvers the system is configured with (/etc/resolv.conf, or "
    "the adapters that are up on Windows) to ask them directly. When that configuration "
    "is missing or unreadable, names were resolved by the operating system's resolver "
    "alone, without CNAME chains or the servers' exact answers. A host without resolvers "
    "cannot resolve Azure's names either, unless its hosts file names them.",
    "Configure a DNS server on the host (or give --dns-server IP to ask a specific one).",
    (_DNSPYTHON_DOC,),
    priority=85,
)


PROXY_DECIDED_BY_PAC: Final = Code(
    "PROXY_DECIDED_BY_PAC",
    Severity.INFO,
    "A PAC file decides the worker's proxy, host by host",
    "The proxy setting the worker sees is a proxy auto-configuration (PAC) script. Each "
    "host may go through a different proxy or directly; netcheck ran the script for every "
    "probed host and probed each one the way the script says.",
    "Nothing to do if the probes pass; otherwise the per-host answers show which proxy "
    "carries each failing endpoint.",
    (_WINHTTP_PROXY_DOC,),
    priority=420,
)


PROXY_PAC_UNREADABLE: Final = Code(
    "PROXY_PAC_UNREADABLE",
    Severity.WARN,
    "The worker's proxy comes from a PAC file netcheck cannot evaluate",
    "The proxy is decided by a PAC script (AutoConfigURL) or by WPAD auto-detection, and "
    "netcheck could not fetch or run it. The probes went directly, which may not be the "
    "path the worker takes: their results prove little about the worker.",
    "Make the PAC file reachable from this host, or ask its owner which proxy serves the "
    "Azure endpoints and pass it with --proxy.",
    (_WINHTTP_PROXY_DOC,),
    priority=295,
)


HOST_SETTING_UNREADABLE: Final = Code(
    "HOST_SETTING_UNREADABLE",
    Severity.WARN,
    "A Windows setting or log netcheck needs cannot be read",
    "A registry value has an unexpected type or layout (a corrupt binary proxy setting), "
    "or the event log cannot be queried. The verdict that depends on it is left out; the "
    "raw value is in the evidence.",
    "Check the value named in the evidence (regedit, or netsh winhttp show proxy for "
    "WinHttpSettings) and run netcheck as the worker's account (LocalSystem) or an "
    "administrator.",
    (_SCHANNEL_DOC,),
    priority=385,
)


CODES: Final[dict[str, Code]] = {
    c.code: c
    for c in sorted((v for v in globals().values() if isinstance(v, Code)), key=lambda c: c.code)
}
