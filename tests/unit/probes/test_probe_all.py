"""probe_all through a proxy, on loopback: the proxy's name is looked up once for the whole run
however many probes go through it, and a proxy whose name does not resolve is a TCP error
that names it, in every probe's observation, never an exception. getaddrinfo is a fake, so
that no lookup leaves this machine; dnspython asks a loopback port that never answers."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import certifi
import dns.asyncresolver
import pytest

from netcheck.models import Deployment, Outcome, ProbeSettings, ProxySettings, Target, TrustStore
from netcheck.probes import probe_all
from netcheck.probes import resolve as dns_probe

PROXY = "proxy.corp.test"


@contextlib.contextmanager
def silent_dns_with(
    monkeypatch: pytest.MonkeyPatch, system: dns_probe.GetAddrInfo | None = None
) -> Iterator[None]:
    """Every run's dnspython asks a loopback port that takes queries and never answers; the
    OS resolver is `system`, or not asked."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))

        def resolvers(dns_server: str | None, timeout: float) -> dns_probe.Resolvers:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = ["127.0.0.1"]
            resolver.port = sink.getsockname()[1]
            resolver.timeout = resolver.lifetime = 0.3
            return dns_probe.Resolvers(dns_probe.DnsResolver.of(resolver), system=system)

        monkeypatch.setattr(dns_probe, "make_resolvers", resolvers)
        yield


@pytest.fixture
def silent_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with silent_dns_with(monkeypatch):
        yield


def targets(count: int) -> list[Target]:
    return [
        Target(
            f"h{i}.azure-automation.net", 443, ("e",), "t", frozenset({Deployment.AGENT}), True, "u"
        )
        for i in range(count)
    ]


def settings(proxy_port: int) -> ProbeSettings:
    return ProbeSettings(
        timeout=2.0,
        trust=(TrustStore("certifi", certifi.where()),),
        proxy=ProxySettings(PROXY, proxy_port),
    )


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])  # nothing listens there once the block ends


@pytest.mark.usefixtures("silent_dns")
def test_one_lookup_of_the_proxys_name_serves_every_probe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    observations = probe_all(targets(20), settings(closed_port()))
    assert asked.count(PROXY) == 1
    for observation in observations:
        assert observation.tcp is not None and observation.tcp.outcome is Outcome.REFUSED


@pytest.mark.usefixtures("silent_dns")
def test_a_proxy_name_that_does_not_resolve_is_a_tcp_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    (observation,) = probe_all(targets(1), settings(3128))
    assert observation.tcp is not None and observation.tcp.outcome is Outcome.ERROR
    assert observation.tcp.error == f"cannot resolve {PROXY}: Name or service not known"
    assert observation.proxy is None and observation.tls is None


@pytest.mark.usefixtures("silent_dns")
def test_a_proxy_name_whose_lookup_hangs_costs_the_timeout_not_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """getaddrinfo has no timeout of its own: the proxy's lookup is awaited until --timeout,
    then every probe through it says so, and the thread's late answer goes nowhere."""
    release = threading.Event()

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        release.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 3128))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    quick = dataclasses.replace(settings(3128), timeout=0.5)
    started = time.monotonic()
    observations = probe_all(targets(3), quick)
    elapsed = time.monotonic() - started
    release.set()
    assert elapsed < 5, elapsed
    for observation in observations:
        assert observation.tcp is not None and observation.tcp.outcome is Outcome.TIMEOUT
        assert observation.tcp.error == f"cannot resolve {PROXY}: no answer within 0.5 s"


def test_the_os_resolvers_threads_start_once_the_first_burst_of_work_is_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every query leaves and the tools load before any getaddrinfo thread starts: each
    thread takes the GIL from the loop to start, and its answer is joined last anyway."""
    burst_done: list[bool] = []
    calls: list[bool] = []

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        calls.append(bool(burst_done))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]

    with silent_dns_with(monkeypatch, getaddrinfo):
        observations = probe_all(
            targets(5),
            ProbeSettings(timeout=1.0, trust=(TrustStore("certifi", certifi.where()),)),
            meanwhile=lambda: burst_done.append(True),
        )
    assert calls == [True] * 5
    for observation in observations:
        assert observation.dns is not None and observation.dns.outcome is Outcome.TIMEOUT
        assert observation.dns.system_addresses == ("10.1.2.3",)
