"""The only network code: probes every target concurrently, step by step, and never raises."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, TypeVar

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
from netcheck.probes import resolve as dns_probe
from netcheck.probes.threads import Threads, probing_switch_interval
from netcheck.probes.transport import connect, connect_host, open_tunnel, proxy_auth_headers

# OpenSSL, the certificate code and HTTP are imported by probe_all once the first lookups are
# on their way (_load_tools): loading them (about 40 ms) then overlaps the first round trip.
if TYPE_CHECKING:
    from OpenSSL import SSL

    from netcheck import certs
    from netcheck.probes.tls import Verdicts


T = TypeVar("T")


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
    dns_pool: Executor
    tools: Future[_Tools]
    # Every lookup of the run by host name: a name two targets share is asked once
    lookups: dict[str, Future[DnsObservation]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, host: str) -> DnsObservation:
        """The lookup of `host`, asked from this thread unless another target asked it."""
        future, mine = self._claim(host)
        if mine:
            _settle(future, dns_probe.resolve, host, self.resolvers, self.dns_pool)
        return future.result()

    def lookup(self, host: str) -> Future[DnsObservation]:
        """The lookup of `host` in the DNS pool (beside a proxy tunnel), or the one asked."""
        future, mine = self._claim(host)
        if mine:
            self.dns_pool.submit(
                _settle, future, dns_probe.resolve, host, self.resolvers, self.dns_pool
            )
        return future

    def _claim(self, host: str) -> tuple[Future[DnsObservation], bool]:
        with self.lock:
            future = self.lookups.get(host)
            if future is not None:
                return future, False
            future = self.lookups[host] = Future()
            return future, True


def _settle(future: Future[T], work: Callable[..., T], *args: object) -> None:
    try:
        future.set_result(work(*args))
    except BaseException as exc:  # whoever waits on the lookup hears of it
        future.set_exception(exc)


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
    resolvers = dns_probe.make_resolvers(settings.dns_server, settings.timeout)
    workers = max(1, min(settings.concurrency, len(targets)))
    # Each probe asks its name from its own thread, with the AAAA query and the OS resolver
    # in the DNS pool beside it; through a proxy the lookup itself runs there too, hence
    # three per probe: a narrower pool could fill up with waiting lookups and deadlock.
    with probing_switch_interval(), Threads(workers) as pool, Threads(3 * workers) as dns_pool:
        if observer is not None:
            observer.started(len(targets))
        tools: Future[_Tools] = Future()
        run = _Run(settings, resolvers, dns_pool, tools)
        # The probes start with their lookups; OpenSSL, the certificate code and h11 load
        # while the first answers travel (about 40 ms), and the probes wait for them only
        # once their name has answered.
        futures = [pool.submit(_probe_and_report, run, target, observer) for target in targets]
        try:
            tools.set_result(_load_tools(settings))
        except BaseException as exc:  # an unreadable CA bundle: no probe goes further
            tools.set_exception(exc)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        if meanwhile is not None:
            meanwhile()
        return [future.result() for future in futures]


def _load_tools(settings: ProbeSettings) -> _Tools:
    from netcheck import certs
    from netcheck.probes.tls import make_context, make_legacy_context

    # h11 too: the first probe to connect would otherwise import it on its way to the server
    importlib.import_module("netcheck.probes.http")
    stores = [certs.load_store(store) for store in settings.trust]
    return _Tools(make_context(), make_legacy_context(), stores)


def _probe_and_report(run: _Run, target: Target, observer: Observer | None) -> Observation:
    try:
        observation = probe(run, target)
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


def probe(run: _Run, target: Target) -> Observation:
    """Resolve, connect (directly or through the proxy), shake hands, then one request."""
    settings = run.settings
    proxy = settings.proxy_for(target.host)
    at = Observation(_now(), proxy.redacted_url if proxy else None)
    if proxy is not None and target.scheme == "http":
        return _plain_via_proxy(run, target, at, proxy)
    if proxy is not None:
        # The proxy resolves the name; ours is asked alongside, as evidence only.
        dns_future = run.lookup(target.host)
        sock, tcp, proxy_obs = open_tunnel(proxy, target.host, target.port, settings.timeout)
        dns_obs: DnsObservation | None = dns_future.result()
    else:
        dns_obs, proxy_obs = run.resolve(target.host), None
        if dns_obs.outcome is not Outcome.OK:
            return replace(at, dns=dns_obs)
        # A sinkhole answer leads nowhere (or to a local service): there is nothing to try.
        reachable = tuple(a for a in dns_obs.addresses if not is_sinkhole(a))
        if not reachable:
            return replace(at, dns=dns_obs)
        sock, tcp = connect(reachable, target.port, settings.timeout)
    if sock is None:
        return replace(at, dns=dns_obs, proxy=proxy_obs, tcp=tcp)
    tls: TlsObservation | None = None
    try:
        # loaded by now, or loading in the main thread while this name was asked
        tools = run.tools.result()
        from netcheck.probes.http import PlainStream, request
        from netcheck.probes.tls import TlsStream, handshake, judge

        if target.scheme == "https":
            conn, tls, chain = handshake(sock, target.host, tools.context, settings.timeout)
            if conn is None:
                if tls.outcome in _RETRIED:
                    tls = _second_attempt(run, tools, target, tcp.address, tls)
                return replace(at, dns=dns_obs, proxy=proxy_obs, tcp=tcp, tls=tls)
            # The request leaves first and the chain is judged while its answer travels: with
            # many targets finishing their handshakes together, judging first would queue
            # every request behind the others' CPU work.
            exchange = request(
                TlsStream(conn, sock), "https", target.host, target.port, settings.timeout
            )
            tls = judge(tls, chain, target.host, tools.stores, tools.verdicts)
            http = exchange.response()
        else:
            http = request(
                PlainStream(sock), "http", target.host, target.port, settings.timeout
            ).response()
    finally:
        sock.close()
    return replace(at, dns=dns_obs, proxy=proxy_obs, tcp=tcp, tls=tls, http=http)


# A handshake cut short (reset, closed, an alert) may be a server that speaks only old
# versions; silence is not retried, so that a stalled path costs one timeout, not two.
_RETRIED = (Outcome.RESET, Outcome.PROTOCOL, Outcome.ERROR)


def _second_attempt(
    run: _Run, tools: _Tools, target: Target, address: str | None, failed: TlsObservation
) -> TlsObservation:
    """One more handshake, on a new connection (or tunnel), that allows legacy versions."""
    from netcheck.probes.tls import legacy_attempt

    settings = run.settings
    if settings.proxy is not None:
        sock, _, _ = open_tunnel(settings.proxy, target.host, target.port, settings.timeout)
    elif address is not None:
        sock, _ = connect((address,), target.port, settings.timeout)
    else:
        return failed
    if sock is None:
        return failed
    version, cipher = legacy_attempt(sock, target.host, tools.legacy_context, settings.timeout)
    return replace(failed, legacy_version=version, legacy_cipher=cipher)


def _plain_via_proxy(
    run: _Run, target: Target, at: Observation, proxy: ProxySettings
) -> Observation:
    """Plain HTTP goes to the proxy as an absolute-form request: many proxies refuse CONNECT
    to port 80, yet forward GET http://host/ (this is how revocation checks travel)."""
    timeout = run.settings.timeout
    dns_future = run.lookup(target.host)
    sock, tcp = connect_host(proxy.host, proxy.port, timeout)
    dns_obs = dns_future.result()
    if sock is None:
        return replace(at, dns=dns_obs, tcp=tcp)
    try:
        run.tools.result()  # h11 loads with the rest, in the main thread
        from netcheck.probes.http import PlainStream, request

        http = request(
            PlainStream(sock), "http", target.host, target.port, timeout, proxy_auth_headers(proxy)
        ).response()
    finally:
        sock.close()
    return replace(at, dns=dns_obs, tcp=tcp, http=http)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
