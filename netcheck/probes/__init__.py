"""The only network code: probes every target concurrently, step by step, on one event loop,
and never raises."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from netcheck.address_kinds import is_sinkhole
from netcheck.models import (
    DnsObservation,
    HttpObservation,
    Observation,
    Outcome,
    ProbeSettings,
    ProxySettings,
    Target,
    TlsObservation,
)
from netcheck.probes import event_loop, transport
from netcheck.probes import resolve as dns_probe
from netcheck.probes.transport import connect, connect_found, open_tunnel, proxy_auth_headers

# OpenSSL, the certificate code and HTTP are imported by probe_all once the first lookups are
# on their way (_load_tools): loading them (about 40 ms) then overlaps the first round trip.
if TYPE_CHECKING:
    from OpenSSL import SSL

    from netcheck import certs
    from netcheck.probes.tls import Verdicts


class Observer(Protocol):
    """Hears about progress; the CLI draws it on stderr, tests ignore it."""

    def started(self, total: int) -> None: ...

    def finished(self, target: Target, observation: Observation) -> None: ...


@dataclass(frozen=True)
class _Tools:
    """What probes need once a name has answered: loaded while the first lookups travel."""

    context: SSL.Context
    legacy_context: SSL.Context
    stores: list[certs.LoadedStore]
    # Trust verdicts by presented chain, against `stores` (probes.tls.judge)
    verdicts: Verdicts = field(default_factory=dict)


@dataclass(frozen=True)
class _Run:
    settings: ProbeSettings
    resolvers: dns_probe.Resolvers
    tools: asyncio.Future[_Tools]
    slots: asyncio.Semaphore  # probes in flight, at most settings.concurrency
    # Every lookup of the run by host name: a name two targets share is asked once
    lookups: dict[str, dns_probe.Lookup] = field(default_factory=dict)
    # Set once the run's first burst of work is done (probe_all): getaddrinfo's threads wait
    # for it, so as not to take the GIL from the loop while it sends queries and loads tools
    threads_open: asyncio.Event = field(default_factory=asyncio.Event)
    # The proxies' addresses: every probe through a proxy connects to it, and one lookup of
    # its name serves them all, as the worker's own would
    proxies: dict[tuple[str, int], asyncio.Task[transport.Found]] = field(default_factory=dict)

    def lookup(self, host: str) -> dns_probe.Lookup:
        """The lookup of `host`, asked now unless another target asked it already."""
        lookup = self.lookups.get(host)
        if lookup is None:
            lookup = self.lookups[host] = dns_probe.ask(host, self.resolvers, self.threads_open)
        return lookup

    def proxy_addresses(self, proxy: ProxySettings) -> asyncio.Task[transport.Found]:
        """The addresses of `proxy`, looked up once per run."""
        key = (proxy.host, proxy.port)
        task = self.proxies.get(key)
        if task is None:
            task = self.proxies[key] = asyncio.ensure_future(
                transport.resolve_host(proxy.host, proxy.port, self.settings.timeout)
            )
        return task


# The run's threads are for getaddrinfo: a probe in flight waits on one at a time (its name's;
# the proxy's name is the run's, looked up once), and a lookup that hangs past its timeout
# keeps its thread (a thread cannot be stopped): twice the probes in flight leaves room.
_BLOCKING_CALLS_PER_PROBE = 2


def probe_all(
    targets: Sequence[Target],
    settings: ProbeSettings,
    observer: Observer | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[Observation]:
    """Probe every target at once (up to `settings.concurrency` in flight); results in order.

    `meanwhile` runs once every probe is under way, while they wait on the network: work the
    caller needs afterwards (loading its rules) then costs no time after the last answer.
    """
    workers = max(1, min(settings.concurrency, len(targets)))
    return event_loop.run(
        _probe_all(targets, settings, workers, observer, meanwhile),
        threads=_BLOCKING_CALLS_PER_PROBE * workers,
    )


async def _probe_all(
    targets: Sequence[Target],
    settings: ProbeSettings,
    workers: int,
    observer: Observer | None,
    meanwhile: Callable[[], object] | None,
) -> list[Observation]:
    resolvers = dns_probe.make_resolvers(settings.dns_server, settings.timeout)
    if observer is not None:
        observer.started(len(targets))
    loop = asyncio.get_running_loop()
    run = _Run(settings, resolvers, loop.create_future(), asyncio.Semaphore(workers))
    probes = [asyncio.ensure_future(_probe_and_report(run, t, observer)) for t in targets]
    # Each probe sends its queries within its first turns of the loop; OpenSSL, the
    # certificate code and h11 load once they are on their way, blocking the loop while the
    # answers travel (about 20 ms), and the probes wait for them only once their name has
    # answered. A probe that waits for a slot (beyond --concurrency) sends later, of course.
    for _ in range(1 + dns_probe.TURNS_TO_SEND):  # each probe's first step, then its lookup's
        await asyncio.sleep(0)
    try:
        run.tools.set_result(_load_tools(settings))
    except BaseException as exc:  # an unreadable CA bundle: no probe goes further
        # Failing the tools also stops a probe whose cancellation was lost: asyncio.wait_for
        # (the step deadline on Python 3.10) can lose one when its step ends at that moment.
        run.tools.set_exception(exc)
        run.tools.exception()  # seen here: asyncio need not report it as never retrieved
        for probe_task in probes:
            probe_task.cancel()
        await asyncio.gather(*probes, return_exceptions=True)
        raise
    if meanwhile is not None:
        meanwhile()
    # Only now the OS resolver's threads: started with the queries, 280 of them held the
    # loop back by 20 ms, taking the GIL to start; their answers are joined last anyway.
    run.threads_open.set()
    return list(await asyncio.gather(*probes))


def _load_tools(settings: ProbeSettings) -> _Tools:
    from netcheck import certs
    from netcheck.probes.tls import make_context, make_legacy_context

    # h11 too: the first probe to connect would otherwise import it on its way to the server
    importlib.import_module("netcheck.probes.http")
    stores = [certs.load_store(store) for store in settings.trust]
    return _Tools(make_context(), make_legacy_context(), stores)


async def _probe_and_report(run: _Run, target: Target, observer: Observer | None) -> Observation:
    async with run.slots:
        try:
            observation = await probe(run, target)
        except Exception as exc:  # a bug must not lose the other targets' results
            observation = Observation(
                checked_at=_now(),
                http=HttpObservation(
                    Outcome.ERROR, error=f"internal error: {type(exc).__name__}: {exc}"
                ),
            )
    if observer is not None:
        observer.finished(target, observation)
    return observation


async def probe(run: _Run, target: Target) -> Observation:
    """Resolve, connect (directly or through the proxy), shake hands, then one request; the
    OS resolver's answer joins the observation last."""
    lookup = run.lookup(target.host)
    observation = await _steps(run, target, lookup)
    return replace(observation, dns=await lookup.observation())


async def _steps(run: _Run, target: Target, lookup: dns_probe.Lookup) -> Observation:
    settings = run.settings
    proxy = settings.proxy_for(target.host)
    at = Observation(_now(), proxy.redacted_url if proxy else None)
    if proxy is not None and target.scheme == "http":
        return await _plain_via_proxy(run, target, lookup, at, proxy)
    if proxy is not None:
        # The proxy resolves the name; ours is asked alongside, as evidence only.
        stream, tcp, proxy_obs = await open_tunnel(
            proxy, await run.proxy_addresses(proxy), target.host, target.port, settings.timeout
        )
        dns_obs: DnsObservation | None = await lookup.answer
    else:
        dns_obs, proxy_obs = await lookup.answer, None
        if dns_obs.outcome is not Outcome.OK:
            return replace(at, dns=dns_obs)
        # A sinkhole answer leads nowhere (or to a local service): there is nothing to try.
        reachable = tuple(a for a in dns_obs.addresses if not is_sinkhole(a))
        if not reachable:
            return replace(at, dns=dns_obs)
        stream, tcp = await connect(reachable, target.port, settings.timeout)
    if stream is None:
        return replace(at, dns=dns_obs, proxy=proxy_obs, tcp=tcp)
    tls: TlsObservation | None = None
    try:
        # loaded by now, or loading while this name was asked
        tools = await run.tools
        from netcheck.probes.http import request
        from netcheck.probes.tls import handshake, judge

        if target.scheme == "https":
            secured, tls, chain = await handshake(
                stream, target.host, tools.context, settings.timeout
            )
            if secured is None:
                if tls.outcome in _RETRIED:
                    tls = await _second_attempt(run, tools, target, proxy, tcp.address, tls)
                return replace(at, dns=dns_obs, proxy=proxy_obs, tcp=tcp, tls=tls)
            # The chain is judged once the answer is in: judged as soon as the request had
            # left, with many targets finishing their handshakes together, every judgement
            # held back the other targets' handshakes and requests, which packets wait for.
            exchange = await request(secured, "https", target.host, target.port, settings.timeout)
            http = await exchange.response()
            tls = judge(tls, chain, target.host, tools.stores, tools.verdicts)
        else:
            exchange = await request(stream, "http", target.host, target.port, settings.timeout)
            http = await exchange.response()
    finally:
        stream.close()
    return replace(at, dns=dns_obs, proxy=proxy_obs, tcp=tcp, tls=tls, http=http)


# A handshake cut short (reset, closed, an alert) may be a server that speaks only old
# versions; silence is not retried, so that a stalled path costs one timeout, not two.
_RETRIED = (Outcome.RESET, Outcome.PROTOCOL, Outcome.ERROR)


async def _second_attempt(
    run: _Run,
    tools: _Tools,
    target: Target,
    proxy: ProxySettings | None,
    address: str | None,
    failed: TlsObservation,
) -> TlsObservation:
    """One more handshake, on a new connection (or a tunnel through the same proxy), that
    allows legacy versions."""
    from netcheck.probes.tls import legacy_attempt

    settings = run.settings
    if proxy is not None:
        found = await run.proxy_addresses(proxy)
        stream, _, _ = await open_tunnel(proxy, found, target.host, target.port, settings.timeout)
    elif address is not None:
        stream, _ = await connect((address,), target.port, settings.timeout)
    else:
        return failed
    if stream is None:
        return failed
    version, cipher = await legacy_attempt(
        stream, target.host, tools.legacy_context, settings.timeout
    )
    return replace(failed, legacy_version=version, legacy_cipher=cipher)


async def _plain_via_proxy(
    run: _Run, target: Target, lookup: dns_probe.Lookup, at: Observation, proxy: ProxySettings
) -> Observation:
    """Plain HTTP goes to the proxy as an absolute-form request: many proxies refuse CONNECT
    to port 80, yet forward GET http://host/ (this is how revocation checks travel)."""
    timeout = run.settings.timeout
    stream, tcp = await connect_found(await run.proxy_addresses(proxy), proxy.port, timeout)
    dns_obs = await lookup.answer
    if stream is None:
        return replace(at, dns=dns_obs, tcp=tcp)
    try:
        await run.tools  # h11 loads with the rest
        from netcheck.probes.http import request

        exchange = await request(
            stream, "http", target.host, target.port, timeout, proxy_auth_headers(proxy)
        )
        http = await exchange.response()
    finally:
        stream.close()
    return replace(at, dns=dns_obs, tcp=tcp, http=http)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
