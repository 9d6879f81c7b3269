"""Resolves a target's name with dnspython, keeping the CNAME chain and the resolver used, and
asks the operating system's resolver alongside, as the worker resolves.

dnspython's resolver module is imported only when a run needs it: importing it costs some
26 ms, and the common question and answer need none of it (probes.dns_wire).
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import io
import socket
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import dns.exception
import dns.inet
import dns.rdatatype

from netcheck.models import OS_RESOLVER, DnsObservation, Outcome
from netcheck.probes import event_loop
from netcheck.probes.dns_backend import BACKEND, exchange
from netcheck.probes.transport import StepTimeout, in_thread_until

if TYPE_CHECKING:
    import dns.asyncresolver
    import dns.rrset

# When A and AAAA fail differently, the more telling outcome wins: an authoritative NXDOMAIN
# says more than a server failure, which says more than silence.
_RANK = [Outcome.NXDOMAIN, Outcome.SERVFAIL, Outcome.TIMEOUT, Outcome.ERROR, Outcome.NO_ANSWER]

# Read by dnspython's resolver on POSIX, and first by make_resolvers
RESOLV_CONF = "/etc/resolv.conf"

GetAddrInfo = Callable[..., list[tuple[Any, ...]]]


class DnsResolver:
    """dnspython's resolver as a run asks it: `servers` it asks, in order, `direct`, the first
    of them as (address, port) when dns_backend.exchange may ask it on the resolver's behalf
    (first_server says when), and `lifetime`, how long a lookup may take. The resolver itself
    is built on first use, for the answers exchange hands back."""

    def __init__(
        self,
        servers: tuple[str, ...],
        direct: tuple[str, int] | None,
        lifetime: float,
        build: Callable[[], dns.asyncresolver.Resolver],
    ) -> None:
        self.servers = servers
        self.direct = direct
        self.lifetime = lifetime
        self._build = build

    @classmethod
    def of(cls, resolver: dns.asyncresolver.Resolver) -> DnsResolver:
        """`resolver`, built already."""
        servers = tuple(str(s) for s in resolver.nameservers)
        return cls(servers, first_server(resolver), resolver.lifetime, lambda: resolver)

    @functools.cached_property
    def resolver(self) -> dns.asyncresolver.Resolver:
        return self._build()


@dataclass(frozen=True)
class Resolvers:
    """How one run resolves: dnspython's resolver (None when the system's configuration could
    not be read, `problem` says why) and whether the OS resolver is asked too."""

    dns: DnsResolver | None
    problem: str | None = None
    # getaddrinfo goes through the hosts file and Windows' NRPT as the worker does; it is
    # asked only when no --dns-server was given, so that no query leaves for servers the user
    # did not name.
    system: GetAddrInfo | None = None
    # How long getaddrinfo may take (dnspython's own lifetime is set on its resolver): it has
    # no timeout of its own, and a resolver with the usual retries can keep it 30 s or more.
    timeout: float = 5.0


def make_resolvers(
    dns_server: str | None,
    timeout: float,
    platform: str | None = None,
    getaddrinfo: GetAddrInfo | None = None,
) -> Resolvers:
    """The given server, or the system's configuration (on Windows through the Win32 API)."""
    system = getaddrinfo or socket.getaddrinfo
    if dns_server is not None:

        def given() -> dns.asyncresolver.Resolver:
            import dns.asyncresolver

            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [dns_server]
            return _timed(resolver, timeout)

        only = DnsResolver((dns_server,), (dns_server, 53), timeout, given)
        return Resolvers(only, timeout=timeout)
    windows = (platform or sys.platform) == "win32"
    plain = None if windows else _plain_resolv_conf(timeout)
    if plain is not None:
        return Resolvers(plain, None, system, timeout)
    try:
        if windows:
            _use_win32_api()
        import dns.asyncresolver

        resolver = dns.asyncresolver.Resolver(filename=RESOLV_CONF)
    # ValueError: a server dnspython cannot use (a host name where an address belongs)
    except (dns.exception.DNSException, OSError, ValueError) as exc:
        problem = f"the system's DNS resolver configuration cannot be read: {exc}"
        return Resolvers(None, problem, system, timeout)
    return Resolvers(DnsResolver.of(_timed(resolver, timeout)), None, system, timeout)


def _plain_resolv_conf(timeout: float) -> DnsResolver | None:
    """RESOLV_CONF read as dnspython reads it, when every server in it is an address: the
    resolver is built from the same text when first needed. None leaves the file to dnspython
    at once (unreadable, no server, a server named otherwise), and its error to the run."""
    try:
        with open(RESOLV_CONF, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeError):
        return None
    servers = []
    options = set()
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) < 2 or line.startswith(("#", ";")):
            continue
        if tokens[0] == "nameserver":
            servers.append(tokens[1])
        elif tokens[0] == "options":
            options.update(tokens[1:])
    if not servers or not all(dns.inet.is_address(server) for server in servers):
        return None

    def build() -> dns.asyncresolver.Resolver:
        import dns.asyncresolver

        return _timed(dns.asyncresolver.Resolver(filename=io.StringIO(text)), timeout)

    # as first_server: a resolver that rotates its servers or speaks EDNS asks its own way
    direct = None if options & {"rotate", "edns0"} else (servers[0], 53)
    return DnsResolver(tuple(servers), direct, timeout, build)


def first_server(resolver: dns.asyncresolver.Resolver) -> tuple[str, int] | None:
    """The plain DNS server dnspython's resolver asks first, when its first attempt is exactly
    dns_backend.exchange's: servers in order, no EDNS, TSIG, cache or flags of its own."""
    if not resolver.nameservers or resolver.rotate or resolver.cache is not None:
        return None
    if resolver.edns >= 0 or resolver.keyring is not None or resolver.flags is not None:
        return None
    first = resolver.nameservers[0]
    if not isinstance(first, str) or not dns.inet.is_address(first):
        return None  # DNS over HTTPS, or a server object of dnspython's own
    return first, resolver.nameserver_ports.get(first, resolver.port)


def _use_win32_api() -> None:
    """dnspython reads Windows' resolvers from the registry by default, including those of
    disconnected adapters (one dead server then times out every lookup); GetAdaptersAddresses
    lists only adapters that are up. dns.win32util has these names only on Windows (2.8+)."""
    win32util = importlib.import_module("dns.win32util")
    win32util.set_config_method(win32util.ConfigMethod.Win32)


def _timed(resolver: dns.asyncresolver.Resolver, timeout: float) -> dns.asyncresolver.Resolver:
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


# Loop turns from ask() to its queries' leaving: one for the lookup's task, one for its two
# query tasks, which send at once (probes.dns_backend). probe_all counts on it.
TURNS_TO_SEND = 2

# getaddrinfo's outcome, addresses in its order, and why there are none
SystemAnswer = tuple[Outcome, tuple[str, ...], str | None]


@dataclass(frozen=True)
class Lookup:
    """A name being asked. dnspython's answer is what a probe goes on with; the OS resolver's
    is evidence beside it, awaited only once the probe's steps are done, so that none of them
    waits for a thread."""

    answer: asyncio.Task[DnsObservation]
    system: asyncio.Task[SystemAnswer] | None = None

    async def observation(self) -> DnsObservation:
        """The answer with the OS resolver's beside it, or with why that did not come."""
        answer = await self.answer
        if self.system is None:
            return answer
        # shielded: another probe of the same name may still wait for it
        _, addresses, error = await asyncio.shield(self.system)
        return replace(answer, system_addresses=addresses, system_error=error)


def ask(host: str, resolvers: Resolvers, threads_open: asyncio.Event | None = None) -> Lookup:
    """Ask for `host` now: dnspython's queries, and the OS resolver in a thread beside them,
    started once `threads_open` is set (at once without it)."""
    if resolvers.dns is None:
        return Lookup(asyncio.ensure_future(_system_only(host, resolvers)))
    answer = asyncio.ensure_future(_ask_dns(host, resolvers.dns))
    if resolvers.system is None:
        return Lookup(answer)
    system = asyncio.ensure_future(
        _system_when(threads_open, resolvers.system, host, resolvers.timeout)
    )
    return Lookup(answer, system)


async def _system_when(
    threads_open: asyncio.Event | None, getaddrinfo: GetAddrInfo, host: str, timeout: float
) -> SystemAnswer:
    if threads_open is not None:
        await threads_open.wait()
    return await _system_answer(getaddrinfo, host, timeout)


async def _system_answer(getaddrinfo: GetAddrInfo, host: str, timeout: float) -> SystemAnswer:
    """getaddrinfo's answer, or a timeout after `timeout` s."""
    try:
        return await in_thread_until(time.monotonic() + timeout, _system_lookup, getaddrinfo, host)
    except StepTimeout:
        return Outcome.TIMEOUT, (), "getaddrinfo: no answer in time"


async def resolve(host: str, resolvers: Resolvers) -> DnsObservation:
    """Both resolvers' answers for `host`."""
    return await ask(host, resolvers).observation()


async def _system_only(host: str, resolvers: Resolvers) -> DnsObservation:
    """The OS resolver's answer as the answer: dnspython has no configuration to go on."""
    assert resolvers.system is not None
    started = time.monotonic()
    outcome, addresses, error = await _system_answer(resolvers.system, host, resolvers.timeout)
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


async def _ask_dns(host: str, resolver: DnsResolver) -> DnsObservation:
    """A and AAAA at the same time, so that one silent resolver costs one timeout."""
    started = time.monotonic()
    queries = [
        asyncio.ensure_future(_query(resolver, host, rdtype))
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
    ]
    replies = [await query for query in queries]
    servers = resolver.servers
    duration = (time.monotonic() - started) * 1000
    addresses = tuple(a for r in replies for a in r.addresses)
    if addresses:
        # the chain of the query that answered: the other's (most often AAAA's "no answer")
        # would name the same aliases
        answered = next(r for r in replies if r.addresses)
        return DnsObservation(Outcome.OK, servers, addresses, answered.cnames, None, duration)
    cnames = next((r.cnames for r in replies if r.cnames), ())
    worst = min(replies, key=lambda r: _RANK.index(r.outcome))
    return DnsObservation(worst.outcome, servers, (), cnames, worst.error, duration)


def resolve_hosts(hosts: Iterable[str], timeout: float = 5.0) -> dict[str, DnsObservation]:
    """Today's answers for each name from the system's resolvers (`netcheck rules --resolve`)."""
    resolvers = make_resolvers(None, timeout)
    names = list(dict.fromkeys(hosts))

    async def every() -> list[DnsObservation]:
        return list(await asyncio.gather(*(resolve(host, resolvers) for host in names)))

    return dict(zip(names, event_loop.run(every(), threads=len(names)), strict=True))


def _system_lookup(getaddrinfo: GetAddrInfo, host: str) -> SystemAnswer:
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


@dataclass(frozen=True)
class _Reply:
    """One query's outcome, its CNAME chain and, when it failed, why in dnspython's words."""

    outcome: Outcome
    addresses: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()
    error: str | None = None


async def _query(resolver: DnsResolver, host: str, rdtype: dns.rdatatype.RdataType) -> _Reply:
    if resolver.direct is not None:
        reply = await _ask_directly(resolver.direct, host, rdtype, resolver.lifetime)
        if reply is not None:
            return reply
    import dns.resolver  # loaded with the resolver: only for what exchange hands back

    try:
        answer = await resolver.resolver.resolve(host, rdtype, search=False, backend=BACKEND)
    except dns.exception.DNSException as exc:
        cnames = (
            _cnames(exc.kwargs.get("response")) if isinstance(exc, dns.resolver.NoAnswer) else ()
        )
        return _Reply(_outcome(exc), (), cnames, str(exc))
    # The answer already followed the chain; following it again costs as much as the parse.
    addresses = tuple(rdata.to_text() for rdata in answer)
    return _Reply(Outcome.OK, addresses, _names(answer.chaining_result.cnames))


async def _ask_directly(
    server: tuple[str, int], host: str, rdtype: dns.rdatatype.RdataType, lifetime: float
) -> _Reply | None:
    """dnspython resolver's first attempt made by dns_backend.exchange, reported as the
    resolver would report it; None when the resolver must take over."""
    started = time.monotonic()
    try:
        answer = await exchange(server, host, rdtype, started + lifetime)
    except StepTimeout:
        address, port = server
        return _Reply(
            Outcome.TIMEOUT,
            error=f"The resolution lifetime expired after {time.monotonic() - started:.3f} "
            f"seconds: Server Do53:{address}@{port} answered The DNS operation timed out "
            f"after {lifetime:.3f} seconds",
        )
    if answer is None:
        return None
    name = host if host.endswith(".") else f"{host}."
    if answer.nxdomain:
        return _Reply(Outcome.NXDOMAIN, error=f"The DNS query name does not exist: {name}")
    if not answer.addresses:
        return _Reply(
            Outcome.NO_ANSWER,
            cnames=answer.cnames,
            error="The DNS response does not contain an answer to the question: "
            f"{name} IN {dns.rdatatype.to_text(rdtype)}",
        )
    return _Reply(Outcome.OK, answer.addresses, answer.cnames)


def _outcome(exc: dns.exception.DNSException) -> Outcome:
    import dns.resolver

    if isinstance(exc, dns.resolver.NXDOMAIN):
        return Outcome.NXDOMAIN
    if isinstance(exc, dns.resolver.NoAnswer):
        return Outcome.NO_ANSWER
    if isinstance(exc, dns.resolver.NoNameservers):
        return Outcome.SERVFAIL
    if isinstance(exc, dns.exception.Timeout):
        return Outcome.TIMEOUT
    return Outcome.ERROR


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
