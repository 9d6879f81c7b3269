"""Rules for name resolution, the TCP connection and the proxy tunnel."""

from __future__ import annotations

from typing import Any

from netcheck.address_kinds import is_private, is_sinkhole
from netcheck.findings import codes
from netcheck.findings.base import RuleContext, finding
from netcheck.models import OS_RESOLVER, DnsObservation, Finding, Observation, Outcome, Target

_DNS_CODES = {
    Outcome.NXDOMAIN: codes.DNS_NXDOMAIN,
    Outcome.NO_ANSWER: codes.DNS_NO_ANSWER,
    Outcome.SERVFAIL: codes.DNS_SERVFAIL,
    Outcome.TIMEOUT: codes.DNS_TIMEOUT,
    Outcome.ERROR: codes.DNS_SERVFAIL,
}
_DNS_WORDS = {
    Outcome.NXDOMAIN: "does not exist (NXDOMAIN)",
    Outcome.NO_ANSWER: "exists but has no A or AAAA record",
    Outcome.SERVFAIL: "could not be resolved: the resolver failed (SERVFAIL/REFUSED)",
    Outcome.TIMEOUT: "could not be resolved: the resolver did not answer in time",
    Outcome.ERROR: "could not be resolved",
}
_TCP_CODES = {
    Outcome.TIMEOUT: codes.TCP_TIMEOUT,
    Outcome.REFUSED: codes.TCP_REFUSED,
    Outcome.RESET: codes.TCP_REFUSED,
    Outcome.UNREACHABLE: codes.TCP_UNREACHABLE,
    Outcome.ERROR: codes.TCP_UNREACHABLE,
}
_TCP_WORDS = {
    codes.TCP_TIMEOUT: "no answer: the packets are dropped",
    codes.TCP_REFUSED: "the connection was refused (TCP reset)",
    codes.TCP_UNREACHABLE: "the address is unreachable",
}


def dns_rules(target: Target, obs: Observation, ctx: RuleContext) -> list[Finding]:
    dns = obs.dns
    if dns is None:
        return []
    resolver = ", ".join(dns.resolver) or "system resolver"
    if obs.via_proxy is not None:
        return []  # the proxy resolves names itself: local answers are evidence, not findings
    findings = _resolvers_differ(target, dns)
    if dns.outcome is not Outcome.OK:
        return [
            finding(
                _DNS_CODES[dns.outcome],
                f"{target.host} {_DNS_WORDS[dns.outcome]} (resolver {resolver})",
                resolver=list(dns.resolver),
                error=dns.error,
                cnames=list(dns.cnames) or None,
                system_addresses=_listed(dns.system_addresses),
            ),
            *findings,
        ]
    sinkholed = [a for a in dns.addresses if is_sinkhole(a)]
    if sinkholed:
        findings.append(
            finding(
                codes.DNS_SINKHOLE,
                f"{target.host} resolves to {', '.join(sinkholed)}: a DNS filter "
                f"blocks it (resolver {resolver})",
                addresses=list(dns.addresses),
                resolver=list(dns.resolver),
            )
        )
    private = [a for a in dns.addresses if is_private(a)]
    if private:
        link = next((c for c in dns.cnames if ".privatelink." in f".{c}"), None)
        via = f" via {link} (Azure Private Link)" if link else ""
        findings.append(
            finding(
                codes.DNS_PRIVATE,
                f"{target.host} resolves to private address {', '.join(private)}{via}",
                addresses=list(dns.addresses),
                cnames=list(dns.cnames),
                privatelink=link,
            )
        )
    return findings


def _resolvers_differ(target: Target, dns: DnsObservation) -> list[Finding]:
    """The worker resolves through the operating system (hosts file, Windows' NRPT, its own
    servers); say when that answer and dnspython's disagree. Round-robin answers overlap, so
    only an answer against none, or two disjoint sets of addresses, count."""
    system = dns.system_addresses
    if system is None or OS_RESOLVER in dns.resolver:
        return []
    ours = set(dns.addresses)
    if (bool(ours) == bool(system)) and (not ours or ours & set(system)):
        return []
    theirs = ", ".join(system) or f"no address ({dns.system_error})"
    mine = ", ".join(dns.addresses) or f"no address ({dns.outcome.value})"
    return [
        finding(
            codes.DNS_RESOLVERS_DIFFER,
            f"{target.host}: the operating system's resolver answers {theirs}; "
            f"the DNS servers ({', '.join(dns.resolver)}) answer {mine}",
            addresses=list(dns.addresses),
            system_addresses=list(system),
            system_error=dns.system_error,
            resolver=list(dns.resolver),
        )
    ]


def _listed(addresses: tuple[str, ...] | None) -> list[str] | None:
    return list(addresses) if addresses is not None else None


def connection_rules(target: Target, obs: Observation, ctx: RuleContext) -> list[Finding]:
    tcp, proxy = obs.tcp, obs.proxy
    if tcp is None:
        return []
    if tcp.outcome is not Outcome.OK:
        # Through a proxy, the TCP step is the connection to the proxy itself.
        if obs.via_proxy is not None:
            return [
                finding(
                    codes.PROXY_UNREACHABLE,
                    f"the proxy {obs.via_proxy} cannot be reached: {tcp.error}",
                    proxy=obs.via_proxy,
                    error=tcp.error,
                    attempts=list(tcp.attempts),
                )
            ]
        code = _TCP_CODES.get(tcp.outcome, codes.TCP_UNREACHABLE)
        return [
            finding(
                code,
                f"TCP {target.port} to {target.host}: {_TCP_WORDS[code]}",
                attempts=list(tcp.attempts),
                error=tcp.error,
            )
        ]
    if proxy is None or proxy.outcome is Outcome.OK:
        return []
    evidence: dict[str, Any] = {
        "proxy": proxy.proxy,
        "status": proxy.status,
        "reason": proxy.reason,
        "error": proxy.error,
    }
    if proxy.outcome is Outcome.AUTH_REQUIRED:
        return [
            finding(
                codes.PROXY_AUTH_REQUIRED,
                f"the proxy wants credentials for CONNECT "
                f"{target.host}:{target.port} (HTTP {proxy.status})",
                **evidence,
            )
        ]
    if proxy.status is None:
        return [
            finding(
                codes.PROXY_UNREACHABLE,
                f"the proxy did not answer CONNECT {target.host}:{target.port}: {proxy.error}",
                **evidence,
            )
        ]
    return [
        finding(
            codes.PROXY_DENIED,
            f"the proxy refused CONNECT {target.host}:{target.port} "
            f"(HTTP {proxy.status} {proxy.reason or ''})".rstrip(),
            **evidence,
        )
    ]
