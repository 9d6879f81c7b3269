"""dnspython's queries over the probes' event loop, each sent the moment it is made.

dnspython's own asyncio backend opens every UDP query as an asyncio endpoint, which sends
only after a turn of the loop; a run's first queries then waited behind whatever the loop
did next (loading OpenSSL, the rules). Here each query is a connected UDP socket: made,
sent and waited on with the loop's socket calls, which every event loop has (Windows' too).
TCP, which dnspython uses for a truncated answer, stays with its own backend.

`exchange` asks the common question without dnspython's resolver (probes.dns_wire says why).
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any

import dns.asyncbackend
import dns.exception
import dns.inet

from netcheck.probes import dns_wire
from netcheck.probes.transport import StepTimeout, within


class Backend(dns.asyncbackend.Backend):
    """UDP queries on connected sockets of the running loop; the rest as dnspython's own."""

    def name(self) -> str:
        return "netcheck"

    def datagram_connection_required(self) -> bool:
        return True  # make_socket gets the destination, so each socket is connected to it

    async def make_socket(
        self,
        af: int,
        socktype: int,
        proto: int = 0,
        source: Any = None,
        destination: Any = None,
        timeout: float | None = None,
        ssl_context: Any = None,
        server_hostname: str | None = None,
    ) -> dns.asyncbackend.Socket:
        if socktype != socket.SOCK_DGRAM or destination is None:
            stream: dns.asyncbackend.Socket = await _stock().make_socket(
                af, socktype, proto, source, destination, timeout, ssl_context, server_hostname
            )
            return stream
        sock = _connected_udp(af, dns.inet.low_level_address_tuple(destination, af), source, proto)
        try:
            # Answers are said to come from the peer as the kernel names it: dnspython drops
            # an answer whose source differs from its own form of the server's address, which
            # for IPv6 has four parts (address, port, flow, scope), not the two it passed here.
            peer = sock.getpeername()
        except OSError:
            sock.close()
            raise
        return _Datagram(af, sock, peer)

    async def sleep(self, interval: float) -> None:
        await asyncio.sleep(interval)

    def get_transport_class(self) -> Any:
        return _stock().get_transport_class()

    async def wait_for(self, awaitable: Any, timeout: float | None) -> Any:
        return await _stock().wait_for(awaitable, timeout)


def _stock() -> Any:  # dnspython's backends carry no type hints
    return dns.asyncbackend.get_backend("asyncio")


class _Datagram(dns.asyncbackend.DatagramSocket):
    def __init__(self, af: int, sock: socket.socket, peer: Any) -> None:
        super().__init__(af, socket.SOCK_DGRAM)
        self._sock = sock
        self._peer = peer

    async def sendto(self, what: bytes, destination: Any, timeout: float | None) -> int:
        if not _sent_at_once(self._sock, what):
            await self._bounded(_drained(self._sock, what), timeout)
        return len(what)

    async def recvfrom(self, size: int, timeout: float | None) -> tuple[bytes, Any]:
        loop = asyncio.get_running_loop()
        data = await self._bounded(loop.sock_recv(self._sock, size), timeout)
        return data, self._peer

    @staticmethod
    async def _bounded(step: Any, timeout: float | None) -> Any:
        if timeout is None:
            return await step
        try:
            return await within(step, time.monotonic() + timeout)
        except StepTimeout:
            raise dns.exception.Timeout(timeout=timeout) from None  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        self._sock.close()

    async def getpeername(self) -> Any:
        return self._peer

    async def getsockname(self) -> Any:
        return self._sock.getsockname()


BACKEND = Backend()


async def exchange(
    server: tuple[str, int], host: str, rdtype: int, deadline: float
) -> dns_wire.Answer | None:
    """Ask `server` (address, port) over UDP with dns_wire's question; None when the answer, or
    the socket's error, is for dnspython's resolver to deal with (it asks again).

    Raises StepTimeout at `deadline` without an answer."""
    qid = int.from_bytes(os.urandom(2), "big")  # unpredictable, as against spoofed answers
    message = dns_wire.question(qid, host, rdtype)
    if message is None:
        return None
    address, port = server
    try:
        sock = _connected_udp(dns.inet.af_for_address(address), (address, port))
    except OSError:  # no route: dnspython moves on to the next server
        return None
    try:
        if not _sent_at_once(sock, message):
            await within(_drained(sock, message), deadline)
        loop = asyncio.get_running_loop()
        while True:
            data = await within(loop.sock_recv(sock, 65535), deadline)
            answer = dns_wire.read(data, qid, host, rdtype)
            if answer is not dns_wire.Other.FOREIGN:
                return None if answer is dns_wire.Other.HANDED_BACK else answer
    except StepTimeout:  # an OSError too, but the caller's to report
        raise
    except OSError:  # refused, unreachable: dnspython moves on to the next server
        return None
    finally:
        sock.close()


def _connected_udp(
    af: int, destination: tuple[Any, ...], source: Any = None, proto: int = 0
) -> socket.socket:
    """A non-blocking UDP socket connected to `destination` (no packet: only the kernel's
    choice of route), closed again when that fails."""
    sock = socket.socket(af, socket.SOCK_DGRAM, proto)
    try:
        sock.setblocking(False)
        if source is not None:
            sock.bind(source)
        sock.connect(destination)
    except OSError:
        sock.close()
        raise
    return sock


# A query is sent in the turn that makes it, never behind a bounded wait: on Python 3.10 a
# bound (asyncio.wait_for) runs its step as a task of its own, a turn of the loop later.
def _sent_at_once(sock: socket.socket, what: bytes) -> bool:
    """Whether the datagram left now (it does not wait for the peer), or the socket's buffer
    is full and it must wait (_drained)."""
    try:
        sock.send(what)
    except BlockingIOError:
        return False
    return True


async def _drained(sock: socket.socket, what: bytes) -> None:
    await asyncio.get_running_loop().sock_sendall(sock, what)
