"""Frozen data shared by every stage: catalogue, targets, observations, findings, report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------- catalogue


class Deployment(str, enum.Enum):
    """What a machine is set up as; each endpoint says which of these need it."""

    AGENT = "agent"
    EXTENSION = "extension"
    UPDATE_MANAGEMENT = "update-management"
    REVOCATION = "revocation"


@dataclass(frozen=True)
class Cloud:
    """A sovereign cloud (public, US Government, China) and its DNS suffixes by service."""

    name: str
    display_name: str
    suffixes: dict[str, str]


@dataclass(frozen=True)
class Region:
    """An Azure region as the catalogue knows it, with its Automation location code."""

    name: str
    display_name: str
    code: str | None
    cloud: str
    account_domains: tuple[str, ...]
    legacy_jrds: str | None
    legacy_agentservice: str | None
    original_2018: bool
    doubtful: str | None
    source: str
    # The published values the doubt is about (a domain or a host); empty: every regional record.
    doubtful_values: tuple[str, ...] = ()

    def doubts(self, host: str) -> bool:
        if self.doubtful is None:
            return False
        values = self.doubtful_values
        return not values or any(host == v or host.endswith("." + v) for v in values)


@dataclass(frozen=True)
class Endpoint:
    """A required endpoint of the catalogue: a host pattern, its port and who needs it."""

    id: str
    pattern: str
    port: int
    purpose: str
    deployments: frozenset[Deployment]
    bypass_inspection: bool
    source: str
    clouds: frozenset[str]
    service_tag: str | None = None


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA that Microsoft issues its service certificates under, by thumbprint."""

    name: str
    sha1: str
    role: str  # "root" or "intermediate"
    status: str  # "current" or "retired"
    issuer: str
    serial: str | None
    source: str
    note: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """The required endpoints, regions, clouds and Microsoft's CAs, as loaded."""

    path: str
    date: str
    clouds: dict[str, Cloud]
    regions: tuple[Region, ...]
    endpoints: tuple[Endpoint, ...]
    authorities: tuple[CertificateAuthority, ...]

    def microsoft_names(self) -> frozenset[str]:
        return frozenset(ca.name.casefold() for ca in self.authorities)

    def microsoft_thumbprints(self) -> frozenset[str]:
        return frozenset(ca.sha1.upper() for ca in self.authorities)


# ---------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """One concrete host and port to probe, or a wildcard that cannot be probed."""

    host: str
    port: int
    endpoint_ids: tuple[str, ...]
    purpose: str
    deployments: frozenset[Deployment]
    bypass_inspection: bool
    source: str
    service_tags: tuple[str, ...] = ()
    doubtful: str | None = None
    skip_reason: str | None = None
    covered_by: tuple[str, ...] = ()  # for a wildcard: the probed hosts that fall under it
    canary: bool = False  # a name that cannot exist: any answer means something answers all

    @property
    def scheme(self) -> str:
        return "https" if self.port == 443 else "http"


@dataclass(frozen=True)
class ProxySettings:
    """An explicit HTTP proxy. `password` is never rendered: see `redacted_url`."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def redacted_url(self) -> str:
        auth = ""
        if self.username is not None:
            auth = f"{self.username}:***@" if self.password is not None else f"{self.username}@"
        return f"http://{auth}{self.host}:{self.port}"


@dataclass(frozen=True)
class TrustStore:
    """A named set of trust roots: --ca-bundle, the operating system's store ("system") or
    certifi.

    `path` is a PEM file or a hashed directory; a store read through an operating-system API
    (the Windows certificate store, the macOS keychains) has no file, so `path` says where it
    was read and `pem` holds its certificates. `pem` is never rendered (see report.plain).
    """

    name: str
    path: str
    note: str | None = None  # why this store decides, or what it leaves out
    pem: str | None = field(default=None, repr=False, compare=False, metadata={"render": False})


@dataclass(frozen=True)
class ProbeSettings:
    """How a run probes: timeout, trust stores, proxy and DNS server, and how many at once."""

    timeout: float
    trust: tuple[TrustStore, ...]  # the first one decides pass/fail; the rest are evidence
    proxy: ProxySettings | None = None
    dns_server: str | None = None
    concurrency: int = 64
    # Hosts that bypass `proxy` (a WinHTTP or WinINET bypass list), and per-host decisions of
    # a PAC file, which win over both.
    bypass: tuple[str, ...] = ()
    per_host: dict[str, ProxySettings | None] = field(default_factory=dict)

    def proxy_for(self, host: str) -> ProxySettings | None:
        """The proxy the worker would use for `host`."""
        if host in self.per_host:
            return self.per_host[host]
        if self.proxy is not None and self.bypass:
            from netcheck.proxy_url import bypassed

            if bypassed(host, self.bypass):
                return None
        return self.proxy


# ---------------------------------------------------------------- observations


class Outcome(str, enum.Enum):
    """How one network step ended. Stable values: they appear in the JSON report."""

    OK = "ok"
    NXDOMAIN = "nxdomain"
    NO_ANSWER = "no-answer"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    RESET = "reset"
    PROTOCOL = "protocol"
    ERROR = "error"
    AUTH_REQUIRED = "auth-required"
    DENIED = "denied"


@dataclass(frozen=True)
class DnsObservation:
    """What the resolvers answered for a target's name."""

    outcome: Outcome
    resolver: tuple[str, ...]  # the servers asked, or (OS_RESOLVER,) when dnspython could not be
    addresses: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()
    error: str | None = None
    duration_ms: float = 0.0
    # What the operating system's resolver (getaddrinfo: hosts file, NRPT, its own servers)
    # answered, the way the worker resolves; None when it was not asked (--dns-server given).
    system_addresses: tuple[str, ...] | None = None
    system_error: str | None = None


# The resolver named in a DnsObservation answered by getaddrinfo because dnspython could not
# read the system's resolver configuration.
OS_RESOLVER = "operating system (getaddrinfo)"


@dataclass(frozen=True)
class ProxyObservation:
    """How the proxy answered the CONNECT (or the request) for a target."""

    outcome: Outcome
    proxy: str  # redacted URL
    status: int | None = None
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    duration_ms: float = 0.0
    # The start of the page a refusing proxy sent with its answer: it names the product
    # and often the URL category that was blocked.
    body_excerpt: str | None = None


@dataclass(frozen=True)
class TcpObservation:
    """How the TCP connection went, address by address."""

    outcome: Outcome
    address: str | None = None  # the address connected to (the proxy's, through a proxy)
    attempts: tuple[str, ...] = ()
    error: str | None = None
    duration_ms: float = 0.0


@dataclass(frozen=True)
class CertificateInfo:
    """The facts of one presented certificate that a person compares."""

    subject: str
    issuer: str
    subject_cn: str | None
    issuer_cn: str | None
    sha1: str
    sha256: str
    serial: str
    not_before: str  # ISO 8601, UTC
    not_after: str
    key_type: str
    dns_names: tuple[str, ...]
    self_signed: bool
    pem: str


@dataclass(frozen=True)
class TrustVerdict:
    """Whether one trust store accepts the presented chain (time is judged separately)."""

    store: str
    trusted: bool
    error: str | None = None
    # The path the store validated, leaf first and its own root last (SHA-1 thumbprints),
    # and that root's subject: what tells Microsoft's new CA from a forger's.
    path: tuple[str, ...] = ()
    anchor: str | None = None


@dataclass(frozen=True)
class TlsObservation:
    """How the handshake went, and the chain presented with each store's verdict."""

    outcome: Outcome
    version: str | None = None
    cipher: str | None = None
    chain: tuple[CertificateInfo, ...] = ()
    trust: tuple[TrustVerdict, ...] = ()
    hostname_matches: bool | None = None
    error: str | None = None
    duration_ms: float = 0.0
    # After a failed handshake: what a second one that allowed TLS 1.0 and legacy ciphers
    # negotiated (None: it failed too, or was not tried).
    legacy_version: str | None = None
    legacy_cipher: str | None = None


@dataclass(frozen=True)
class HttpObservation:
    """The HTTP answer to one request over the established connection."""

    outcome: Outcome
    status: int | None = None
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body_excerpt: str | None = None
    error: str | None = None
    duration_ms: float = 0.0


@dataclass(frozen=True)
class Observation:
    """Everything seen for one target, step by step; a step not reached is None."""

    checked_at: str  # ISO 8601 UTC, when the probe started
    via_proxy: str | None = None  # the proxy's redacted URL when the path went through one
    dns: DnsObservation | None = None
    proxy: ProxyObservation | None = None
    tcp: TcpObservation | None = None
    tls: TlsObservation | None = None
    http: HttpObservation | None = None


# ---------------------------------------------------------------- findings and report


class Severity(str, enum.Enum):
    FAIL = "fail"
    WARN = "warn"
    INFO = "info"


class Status(str, enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class HostStatus(str, enum.Enum):
    """A host's verdict; `nodata` when it sent nothing usable. Stable values (JSON)."""

    FAIL = "fail"
    NODATA = "nodata"
    WARN = "warn"
    PASS = "pass"


@dataclass(frozen=True)
class Finding:
    """What a rule concluded: a stable code, its severity, the cause and the fix."""

    code: str
    severity: Severity
    message: str
    remediation: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetResult:
    """One target's status and findings, with what was observed."""

    target: Target
    status: Status
    findings: tuple[Finding, ...]
    observation: Observation | None  # None when skipped


@dataclass(frozen=True)
class CatalogueRef:
    """Which catalogue a report was made with, by path and date."""

    path: str
    date: str


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """What a run was asked to do: the `options` object of the JSON report (docs/report-json.md).

    Its fields are rendered in this order, by name, so this class is that part of the contract.
    """

    region: str | None  # a region's ARM name, "all" for --all-regions, None when nothing was probed
    cloud: str | None
    workspace_id: str | None
    automation_account_id: str | None
    deployments: tuple[str, ...]
    proxy: str | None  # the redacted URL: never the password
    dns_server: str | None
    timeout: float
    trust: tuple[TrustStore, ...]
    catalogue: CatalogueRef


@dataclass(frozen=True, kw_only=True)
class DiagnoseOptions(RunOptions):
    """A diagnose run's options: a check's, plus the root read and why nothing was probed."""

    root: str
    not_probed: str | None = None


@dataclass(frozen=True)
class OsInfo:
    """The operating system a report was made on."""

    system: str  # platform.system(): Linux, Windows, Darwin
    release: str
    name: str | None  # e.g. "Debian GNU/Linux 12 (bookworm)", "Windows 10.0.20348"


@dataclass(frozen=True)
class Origin:
    """Where a report was made: the `origin` object of the JSON report, by which a fleet merge
    names each host."""

    hostname: str
    fqdn: str | None  # None when the system's resolver did not answer in time
    os: OsInfo
    addresses: tuple[str, ...]  # this host's own addresses, loopback and link-local left out
    netcheck_version: str


@dataclass(frozen=True)
class Report:
    """A whole run: options, per-target results, run-level findings and origin."""

    tool_version: str
    generated_at: str
    options: RunOptions
    results: tuple[TargetResult, ...]
    duration_ms: float
    findings: tuple[Finding, ...] = ()  # about the run as a whole (clock, partial interception)
    origin: Origin | None = None

    @property
    def status(self) -> Status:
        return overall_status([r.status for r in self.results] + [status_of(self.findings)])


def status_of(findings: tuple[Finding, ...]) -> Status:
    severities = {f.severity for f in findings}
    if Severity.FAIL in severities:
        return Status.FAIL
    if Severity.WARN in severities:
        return Status.WARN
    return Status.PASS


def overall_status(statuses: Any) -> Status:
    seen = set(statuses)
    for status in (Status.FAIL, Status.WARN, Status.PASS):
        if status in seen:
            return status
    return Status.SKIP
