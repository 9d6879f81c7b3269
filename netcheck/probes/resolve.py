"""Resolves a target's name with dnspython, keeping the CNAME chain and the resolver used."""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import Executor, ThreadPoolExecutor

import dns.exception
import dns.rdatatype
import dns.resolver

from netcheck.models import DnsObservation, Outcome

# When A and AAAA fail differently, the more telling outcome wins: an authoritative NXDOMAIN
# says more than a server failure, which says more than silence.
_RANK = [Outcome.NXDOMAIN, Outcome.SERVFAIL, Outcome.TIMEOUT, Outcome.ERROR, Outcome.NO_ANSWER]


def make_resolver(dns_server: str | None, timeout: float) -> dns.resolver.Resolver:
    """A resolver for one run: the given server, or the system's configuration."""
    if dns_server is not None:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns_server]
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


def resolve(host: str, resolver: dns.resolver.Resolver, pool: Executor) -> DnsObservation:
    """Ask for A and AAAA at the same time, so one silent resolver costs one timeout."""
    started = time.monotonic()
    aaaa = pool.submit(_query, resolver, host, dns.rdatatype.AAAA)
    results = [_query(resolver, host, dns.rdatatype.A), aaaa.result()]
    servers = tuple(str(s) for s in resolver.nameservers)
    duration = (time.monotonic() - started) * 1000
    addresses = tuple(a for r in results for a in r[1])
    cnames = next((r[2] for r in results if r[2]), ())
    if addresses:
        return DnsObservation(Outcome.OK, servers, addresses, cnames, None, duration)
    outcome, error = min(((r[0], r[3]) for r in results), key=lambda pair: _RANK.index(pair[0]))
    return DnsObservation(outcome, servers, (), cnames, error, duration)


def resolve_hosts(hosts: Iterable[str], timeout: float = 5.0) -> dict[str, DnsObservation]:
    """Today's answers for each name from the system's resolvers (`netcheck rules --resolve`)."""
    resolver = make_resolver(None, timeout)
    # resolve() asks for AAAA in the pool while it asks for A itself; one host at a time
    with ThreadPoolExecutor(1, thread_name_prefix="dns") as pool:
        return {host: resolve(host, resolver, pool) for host in dict.fromkeys(hosts)}


def _query(
    resolver: dns.resolver.Resolver, host: str, rdtype: dns.rdatatype.RdataType
) -> tuple[Outcome, tuple[str, ...], tuple[str, ...], str | None]:
    try:
        answer = resolver.resolve(host, rdtype, search=False)
    except dns.resolver.NXDOMAIN as exc:
        return Outcome.NXDOMAIN, (), (), str(exc)
    except dns.resolver.NoAnswer as exc:
        cnames = _cnames(exc.kwargs.get("response"))
        return Outcome.NO_ANSWER, (), cnames, str(exc)
    except dns.resolver.NoNameservers as exc:
        return Outcome.SERVFAIL, (), (), str(exc)
    except dns.exception.Timeout as exc:
        return Outcome.TIMEOUT, (), (), str(exc)
    except dns.exception.DNSException as exc:
        return Outcome.ERROR, (), (), str(exc)
    addresses = tuple(rdata.to_text() for rdata in answer)
    return Outcome.OK, addresses, _cnames(answer.response), None


def _cnames(response: object) -> tuple[str, ...]:
    """The names followed from the query name to the canonical name, in order."""
    resolve_chaining = getattr(response, "resolve_chaining", None)
    if resolve_chaining is None:
        return ()
    try:
        chain = resolve_chaining()
    except dns.exception.DNSException:
        return ()
    return tuple(
        rdata.target.to_text(omit_final_dot=True) for rrset in chain.cnames for rdata in rrset
    )
