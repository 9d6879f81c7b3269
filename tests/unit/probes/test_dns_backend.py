"""dnspython over the probes' own backend, against a small DNS server on loopback (dnspython's
messages, real UDP and TCP sockets): answers, NXDOMAIN, a truncated answer fetched again
over TCP, and queries that leave within a known number of loop turns, before anything that
blocks the loop afterwards (a run loads OpenSSL and its rules then)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import dns.asyncresolver
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from netcheck.models import DnsObservation, Outcome
from netcheck.probes import event_loop
from netcheck.probes import resolve as dns_probe

pytestmark = pytest.mark.usefixtures("any_loop")

# sixty A records: the server's UDP answer is truncated (TC), its TCP one is whole
MANY = [f"10.0.{i // 250}.{i % 250 + 1}" for i in range(60)]


@dataclass
class Server:
    """A loopback DNS server: `a.example` has one address, `many.example` sixty, every other
    name is NXDOMAIN. `queries` records (transport, name, type) as they arrive."""

    address: str
    port: int
    queries: list[tuple[str, str, str]] = field(default_factory=list)
    first: threading.Event = field(default_factory=threading.Event)


def answer(wire: bytes, over: str, server: Server) -> bytes:
    query = dns.message.from_wire(wire)
    question = query.question[0]
    name = question.name.to_text(omit_final_dot=True)
    server.queries.append((over, name, dns.rdatatype.to_text(question.rdtype)))
    server.first.set()
    response = dns.message.make_response(query)
    addresses = {"a.example": ["192.0.2.7"], "many.example": MANY}.get(name)
    if addresses is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif question.rdtype == dns.rdatatype.A and over == "udp" and len(addresses) > 20:
        response.flags |= dns.flags.TC  # too big for a datagram: ask again over TCP
    elif question.rdtype == dns.rdatatype.A:
        response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", *addresses))
    return response.to_wire()


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


# An IPv6 server too: dnspython matches an answer's source against its own four-part form of
# an IPv6 address, and drops what does not match.
@pytest.fixture(
    params=[
        "127.0.0.1",
        pytest.param(
            "::1",
            marks=pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback here"),
        ),
    ]
)
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    address: str = request.param
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    udp = socket.socket(family, socket.SOCK_DGRAM)
    udp.bind((address, 0))
    port = udp.getsockname()[1]
    tcp = socket.create_server((address, port), family=family)
    # closing a socket does not wake a thread blocked on it: the threads look up now and then
    udp.settimeout(0.1)
    tcp.settimeout(0.1)
    found = Server(address, port)
    stop = threading.Event()

    def serve_udp() -> None:
        while not stop.is_set():
            try:
                wire, peer = udp.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            udp.sendto(answer(wire, "udp", found), peer)

    def serve_tcp() -> None:
        while not stop.is_set():
            try:
                conn, _ = tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                length = int.from_bytes(conn.recv(2), "big")
                wire = b""
                while len(wire) < length:
                    wire += conn.recv(length - len(wire))
                reply = answer(wire, "tcp", found)
                conn.sendall(len(reply).to_bytes(2, "big") + reply)

    threads = [threading.Thread(target=f, daemon=True) for f in (serve_udp, serve_tcp)]
    for thread in threads:
        thread.start()
    yield found
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
    udp.close()
    tcp.close()


# Both ways a question is asked: dns_backend.exchange first (the server is plain DNS, as
# resolve.first_server finds), or dnspython's resolver alone.
PATHS = ["exchange first", "dnspython alone"]


def resolvers(server: Server, path: str = PATHS[0], timeout: float = 2.0) -> dns_probe.Resolvers:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [server.address]
    resolver.port = server.port
    resolver.timeout = resolver.lifetime = timeout
    asked = dns_probe.DnsResolver.of(resolver)
    assert asked.direct == (server.address, server.port)
    if path == "dnspython alone":
        asked = dns_probe.DnsResolver(asked.servers, None, asked.lifetime, lambda: resolver)
    return dns_probe.Resolvers(asked)


def resolve(host: str, server: Server, path: str = PATHS[0]) -> DnsObservation:
    return event_loop.run(dns_probe.resolve(host, resolvers(server, path)), threads=1)


@pytest.mark.parametrize("path", PATHS)
def test_an_answer_and_a_missing_name(server: Server, path: str) -> None:
    found = resolve("a.example", server, path)
    assert (found.outcome, found.addresses) == (Outcome.OK, ("192.0.2.7",))
    missing = resolve("gone.example", server, path)
    assert missing.outcome is Outcome.NXDOMAIN and missing.addresses == ()
    assert {q[0] for q in server.queries} == {"udp"}


@pytest.mark.parametrize("host", ["a.example", "gone.example", "many.example"])
def test_exchange_reports_as_dnspythons_resolver_does(server: Server, host: str) -> None:
    """The same outcome, addresses, chain and words, whichever path asked (dnspython's server
    shuffles the sixty addresses of each answer)."""
    first, alone = (resolve(host, server, path) for path in PATHS)
    assert replace(first, duration_ms=0, addresses=tuple(sorted(first.addresses))) == replace(
        alone, duration_ms=0, addresses=tuple(sorted(alone.addresses))
    )


@pytest.mark.parametrize("path", PATHS)
def test_a_truncated_answer_is_asked_again_over_tcp(server: Server, path: str) -> None:
    found = resolve("many.example", server, path)
    assert found.outcome is Outcome.OK and sorted(found.addresses) == sorted(MANY)
    assert ("tcp", "many.example", "A") in server.queries


def test_a_silent_server_costs_one_timeout_and_is_not_asked_again() -> None:
    """exchange's timeout is the lookup's: dnspython's resolver does not wait a second time."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.settimeout(0)
        server = Server("127.0.0.1", silent.getsockname()[1])
        found = event_loop.run(
            dns_probe.resolve("a.example", resolvers(server, timeout=0.3)), threads=1
        )
        asked = []
        with contextlib.suppress(BlockingIOError):
            while True:
                asked.append(dns.message.from_wire(silent.recv(512)).question[0].rdtype)
    assert found.outcome is Outcome.TIMEOUT
    assert found.error is not None and "lifetime expired" in found.error
    assert sorted(asked) == [dns.rdatatype.A, dns.rdatatype.AAAA]


@pytest.mark.parametrize("path", PATHS)
def test_the_queries_leave_within_the_turns_the_probes_count_on(server: Server, path: str) -> None:
    """probe_all blocks the loop (loading OpenSSL and the rules) once each probe's queries
    are out, counting on dns_probe.TURNS_TO_SEND; the server must have the query before the
    loop blocks, or every first answer would wait behind that work."""

    async def run() -> bool:
        lookup = dns_probe.ask("a.example", resolvers(server, path))
        for _ in range(dns_probe.TURNS_TO_SEND):
            await asyncio.sleep(0)
        # the loop blocks here: the packet must already be on its way
        sent = server.first.wait(1.0)
        await lookup.observation()
        return sent

    assert event_loop.run(run(), threads=1)


def test_dnspythons_resolver_is_built_only_for_an_answer_handed_back(server: Server) -> None:
    built = []
    ready = resolvers(server).dns
    assert ready is not None

    def build() -> dns.asyncresolver.Resolver:
        built.append(True)
        return ready.resolver

    lazy = dns_probe.DnsResolver(ready.servers, ready.direct, ready.lifetime, build)

    def resolve_lazily(host: str) -> DnsObservation:
        run = dns_probe.resolve(host, dns_probe.Resolvers(lazy))
        return event_loop.run(run, threads=1)

    assert resolve_lazily("a.example").outcome is Outcome.OK
    assert resolve_lazily("gone.example").outcome is Outcome.NXDOMAIN
    assert built == []
    assert resolve_lazily("many.example").outcome is Outcome.OK  # truncated: handed back
    assert built == [True]
