"""Resolves a target's name with dnspython, keeping the CNAME chain and the resolver used, and
asks the operating system's resolver alongside, as the worker resolves."""

from __future__ import annotations

import importlib
import socket
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.rdatatype
import dns.resolver
import dns.rrset

from netcheck.models import OS_RESOLVER, DnsObservation, Outcome

# When A and AAAA fail differently, the more telling outcome wins: an authoritative NXDOMAIN
# says more than a server failure, which says more than silence.
_RANK = [Outcome.NXDOMAIN, Outcome.SERVFAIL, Outcome.TIMEOUT, Outcome.ERROR, Outcome.NO_ANSWER]

GetAddrInfo = Callable[..., list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Resolvers:
    """How one run resolves: dnspython's resolver (None when the system's configuration could
    not be read, `problem` says why) and whether the OS resolver is asked too."""

    dns: dns.resolver.Resolver | None
    problem: str | None = None
    # getaddrinfo goes through the hosts file and Windows' NRPT as the worker does; it is
    # asked only when no --dns-server was given, so that no query leaves for servers the user
    # did not name.
    system: GetAddrInfo | None = None


def make_resolvers(
    dns_server: str | None,
    timeout: float,
    platform: str | None = None,
    getaddrinfo: GetAddrInfo | None = None,
) -> Resolvers:
    """The given server, or the system's configuration (on Windows through the Win32 API)."""
    system = getaddrinfo or socket.getaddrinfo
    if dns_server is not None:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns_server]
        return Resolvers(_timed(resolver, timeout))
    try:
        if (platform or sys.platform) == "win32":
            _use_win32_api()
        resolver = dns.resolver.Resolver()
    except (dns.exception.DNSException, OSError) as exc:
        problem = f"the system's DNS resolver configuration cannot be read: {exc}"
        return Resolvers(None, problem, system)
    return Resolvers(_timed(resolver, timeout), None, system)


def _use_win32_api() -> None:
    """dnspython reads Windows' resolvers from the registry by default, including those of
    disconnected adapters (one dead server then times out every lookup); GetAdaptersAddresses
    lists only adapters that are up. dns.win32util has these names only on Windows (2.8+)."""
    win32util = importlib.import_module("dns.win32util")
    win32util.set_config_method(win32util.ConfigMethod.Win32)


def _timed(resolver: dns.resolver.Resolver, timeout: float) -> dns.resolver.Resolver:
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


def resolve(host: str, resolvers: Resolvers, pool: Executor) -> DnsObservation:
    """Ask for A and AAAA at the same time, so one silent resolver costs one timeout; the OS
    resolver is asked in parallel, never before the first query."""
    started = time.monotonic()
    resolver = resolvers.dns
    if resolver is None:
        assert resolvers.system is not None
        outcome, addresses, error = _system_lookup(resolvers.system, host)
        return DnsObservation(
            outcome,
            (OS_RESOLVER,),
            addresses,
            error=f"{resolvers.problem}; the operating system's resolver answered instead"
            + (f" ({error})" if error else ""),
            duration_ms=(time.monotonic() - started) * 1000,
            system_addresses=addresses,
            system_error=error,
        )
    aaaa = pool.submit(_query, resolver, host, dns.rdatatype.AAAA)
    system: Future[tuple[Outcome, tuple[str, ...], str | None]] | None = None
    if resolvers.system is not None:
        system = pool.submit(_system_lookup, resolvers.system, host)
    results = [_query(resolver, host, dns.rdatatype.A), aaaa.result()]
    servers = tuple(str(s) for s in resolver.nameservers)
    duration = (time.monotonic() - started) * 1000
    addresses = tuple(a for r in results for a in r[1])
    cnames = next((r[2] for r in results if r[2]), ())
    system_addresses, system_error = None, None
    if system is not None:
        _, system_addresses, system_error = system.result()
    if addresses:
        return DnsObservation(
            Outcome.OK, servers, addresses, cnames, None, duration, system_addresses, system_error
        )
    outcome, error = min(((r[0], r[3]) for r in results), key=lambda pair: _RANK.index(pair[0]))
    return DnsObservation(
        outcome, servers, (), cnames, error, duration, system_addresses, system_error
    )


def resolve_hosts(hosts: Iterable[str], timeout: float = 5.0) -> dict[str, DnsObservation]:
    """Today's answers for each name from the system's resolvers (`netcheck rules --resolve`)."""
    resolvers = make_resolvers(None, timeout)
    # resolve() asks for AAAA and the OS resolver in the pool while it asks for A itself; one
    # host at a time
    with ThreadPoolExecutor(2, thread_name_prefix="dns") as pool:
        return {host: resolve(host, resolvers, pool) for host in dict.fromkeys(hosts)}


def _system_lookup(
    getaddrinfo: GetAddrInfo, host: str
) -> tuple[Outcome, tuple[str, ...], str | None]:
    """getaddrinfo's addresses for `host` (TCP), in its order, or why there are none."""
    try:
        infos = getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        outcome = {
            socket.EAI_NONAME: Outcome.NXDOMAIN,
            getattr(socket, "EAI_NODATA", None): Outcome.NO_ANSWER,
            socket.EAI_AGAIN: Outcome.TIMEOUT,
        }.get(exc.errno, Outcome.ERROR)
        return outcome, (), f"getaddrinfo: {exc.strerror or exc}"
    except (OSError, UnicodeError) as exc:
        return Outcome.ERROR, (), f"getaddrinfo: {exc}"
    addresses = tuple(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    return (Outcome.OK if addresses else Outcome.NO_ANSWER), addresses, None


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
    # The answer already followed the chain; following it again costs as much as the parse.
    return Outcome.OK, addresses, _names(answer.chaining_result.cnames), None


def _cnames(response: object) -> tuple[str, ...]:
    """The names followed from the query name to the canonical name, in order."""
    resolve_chaining = getattr(response, "resolve_chaining", None)
    if resolve_chaining is None:
        return ()
    try:
        chain = resolve_chaining()
    except dns.exception.DNSException:
        return ()
    return _names(chain.cnames)


def _names(cnames: Iterable[dns.rrset.RRset]) -> tuple[str, ...]:
    return tuple(rdata.target.to_text(omit_final_dot=True) for rrset in cnames for rdata in rrset)
