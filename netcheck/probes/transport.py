"""TCP connections and HTTP CONNECT tunnels on the probes' event loop, each step bounded by
its deadline."""

from __future__ import annotations

import asyncio
import base64
import errno
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from netcheck.models import Outcome, ProxyObservation, ProxySettings, TcpObservation
from netcheck.probes import event_loop

T = TypeVar("T")

_UNREACHABLE = {
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EACCES,
    errno.EPERM,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
}
_MAX_HEAD = 64 * 1024
_MAX_PAGE = 4096
CHUNK = 65536


class StepTimeout(TimeoutError):
    """The peer did not answer before the step's deadline."""


async def within(step: Awaitable[T], deadline: float) -> T:
    """`step`, or StepTimeout once `deadline` (time.monotonic, as the loop's clock) has passed.

    A step already done is never late: its result stands, however late it is asked for."""
    if isinstance(step, asyncio.Future) and step.done():
        result: T = step.result()
        return result
    if deadline <= time.monotonic():
        # close a coroutine that will never run, so that it is not reported as never awaited
        getattr(step, "close", lambda: None)()
        raise StepTimeout
    try:
        if sys.version_info >= (3, 11):
            # a deadline on the running task: no task of its own per step, as wait_for makes
            async with asyncio.timeout_at(deadline):
                return await step
        return await asyncio.wait_for(step, deadline - time.monotonic())
    except asyncio.TimeoutError:  # TimeoutError itself from 3.11 on
        raise StepTimeout from None


class PlainSocket:
    """A connected non-blocking socket read and written on the running loop."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    async def read(self, max_bytes: int, deadline: float) -> bytes:
        loop = asyncio.get_running_loop()
        return await within(loop.sock_recv(self.sock, max_bytes), deadline)

    async def write(self, data: bytes, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        await within(loop.sock_sendall(self.sock, data), deadline)

    def close(self) -> None:
        self.sock.close()


def classify_os_error(exc: OSError) -> Outcome:
    """Map a socket error to the outcome a network engineer would name."""
    if isinstance(exc, (TimeoutError, StepTimeout)):
        return Outcome.TIMEOUT
    if isinstance(exc, ConnectionRefusedError):
        return Outcome.REFUSED
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return Outcome.RESET
    if exc.errno in _UNREACHABLE:
        return Outcome.UNREACHABLE
    return Outcome.ERROR


async def connect(
    addresses: tuple[str, ...], port: int, timeout: float
) -> tuple[PlainSocket | None, TcpObservation]:
    """Connect to the first address that answers; all attempts share one timeout."""
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    deadline = started + timeout
    attempts: list[str] = []
    outcome, error = Outcome.ERROR, "no address to connect to"
    for address in addresses:
        if deadline <= time.monotonic():
            break
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        # Nagle would hold the request behind the unacknowledged TLS Finished until the
        # server's delayed ACK: a round trip more per target (curl turns it off too).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await within(loop.sock_connect(sock, (address, port)), deadline)
        except OSError as exc:
            sock.close()
            failure = _plain(exc)
            outcome, error = classify_os_error(failure), _describe(failure)
            attempts.append(f"{address}: {error}")
            continue
        attempts.append(f"{address}: connected")
        duration = (time.monotonic() - started) * 1000
        return PlainSocket(sock), TcpObservation(
            Outcome.OK, address, tuple(attempts), None, duration
        )
    duration = (time.monotonic() - started) * 1000
    return None, TcpObservation(outcome, None, tuple(attempts), error, duration)


def _plain(exc: OSError) -> OSError:
    """The error with the operating system's own words: the selector loop words a failed
    connect as "Connect call failed (address)", which says less than "Connection refused".
    Windows' proactor loop raises the system's error as it is (with its `winerror`), whose
    words os.strerror would not know."""
    if isinstance(exc, StepTimeout) or exc.errno is None or getattr(exc, "winerror", None):
        return exc
    return OSError(exc.errno, os.strerror(exc.errno))  # the same subclass, by its errno


async def in_thread_until(deadline: float, work: Callable[..., T], *args: object) -> T:
    """`work(*args)` in a thread of its own (event_loop.in_thread), or StepTimeout at
    `deadline`. A thread cannot be stopped: past the deadline it goes on alone, keeping its
    slot until it ends, and its result is dropped. getaddrinfo, which has no timeout of its
    own (a resolver with the usual retries can keep it 30 s or more), runs this way."""
    call = asyncio.ensure_future(event_loop.in_thread(work, *args))
    return await within(asyncio.shield(call), deadline)


# A proxy's addresses from the system's resolver, in its order; or the failed step that says
# why there are none
Found = tuple[str, ...] | TcpObservation


async def resolve_host(host: str, port: int, timeout: float) -> Found:
    """The addresses of a host given by name or address, as the system resolver has them."""
    started = time.monotonic()
    try:
        infos = await in_thread_until(
            started + timeout, socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM
        )
    except StepTimeout:
        error = f"cannot resolve {host}: no answer within {timeout:g} s"
        return TcpObservation(Outcome.TIMEOUT, None, (), error, (time.monotonic() - started) * 1000)
    except socket.gaierror as exc:
        error = f"cannot resolve {host}: {exc.strerror}"
        return TcpObservation(Outcome.ERROR, None, (), error, (time.monotonic() - started) * 1000)
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))


async def connect_found(
    found: Found, port: int, timeout: float
) -> tuple[PlainSocket | None, TcpObservation]:
    """connect() to what resolve_host found, or the step that found nothing to connect to."""
    if isinstance(found, TcpObservation):
        return None, found
    return await connect(found, port, timeout)


async def open_tunnel(
    proxy: ProxySettings, proxy_found: Found, host: str, port: int, timeout: float
) -> tuple[PlainSocket | None, TcpObservation, ProxyObservation | None]:
    """Connect to the proxy (at `proxy_found`) and ask it for a tunnel to host:port with HTTP
    CONNECT."""
    stream, tcp = await connect_found(proxy_found, proxy.port, timeout)
    if stream is None:
        return None, tcp, None
    started = time.monotonic()
    request = [
        f"CONNECT {host}:{port} HTTP/1.1",
        f"Host: {host}:{port}",
        "User-Agent: netcheck",
        "Proxy-Connection: keep-alive",
        *(f"{k.decode()}: {v.decode()}" for k, v in proxy_auth_headers(proxy)),
    ]
    deadline = started + timeout
    try:
        await stream.write(("\r\n".join(request) + "\r\n\r\n").encode(), deadline)
        head = await _read_head(stream, deadline)
    except OSError as exc:
        stream.close()
        observation = ProxyObservation(
            classify_os_error(exc),
            proxy.redacted_url,
            error=_describe(exc),
            duration_ms=(time.monotonic() - started) * 1000,
        )
        return None, tcp, observation
    status, reason, headers = parse_head(head)
    outcome = _proxy_outcome(status)
    page = None
    if status is not None and outcome is not Outcome.OK:
        page = _excerpt(await _read_page(stream, head, headers, deadline))
    duration = (time.monotonic() - started) * 1000
    observation = ProxyObservation(
        outcome,
        proxy.redacted_url,
        status,
        reason,
        headers,
        None if status else "not an HTTP answer",
        duration,
        page,
    )
    if outcome is not Outcome.OK:
        stream.close()
        return None, tcp, observation
    return stream, tcp, observation


def proxy_auth_headers(proxy: ProxySettings) -> list[tuple[bytes, bytes]]:
    """Basic credentials for the proxy, when it has a user."""
    if proxy.username is None:
        return []
    token = base64.b64encode(f"{proxy.username}:{proxy.password or ''}".encode())
    return [(b"Proxy-Authorization", b"Basic " + token)]


def _proxy_outcome(status: int | None) -> Outcome:
    if status is None:
        return Outcome.PROTOCOL
    if 200 <= status < 300:
        return Outcome.OK
    # tinyproxy and some appliances answer 401 rather than 407 to bad proxy credentials.
    if status in (401, 407):
        return Outcome.AUTH_REQUIRED
    return Outcome.DENIED


async def _read_head(stream: PlainSocket, deadline: float) -> bytes:
    """Read a response head. The proxy sends nothing after it until we speak TLS, so no
    bytes of the tunnel are consumed here."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < _MAX_HEAD:
        chunk = await stream.read(4096, deadline)
        if not chunk:
            if not data:
                raise ConnectionResetError(errno.ECONNRESET, "proxy closed the connection")
            break
        data += chunk
    return data


async def _read_page(
    stream: PlainSocket, head: bytes, headers: dict[str, str], deadline: float
) -> bytes:
    """The start of the page that came with a refusal, up to _MAX_PAGE bytes: a page names
    the product and the blocked category. Whatever arrived by the deadline is enough."""
    body = head.partition(b"\r\n\r\n")[2]
    length = headers.get("content-length", "")
    wanted = min(int(length), _MAX_PAGE) if length.isdigit() else _MAX_PAGE
    try:
        while len(body) < wanted:
            chunk = await stream.read(4096, deadline)
            if not chunk:
                break
            body += chunk
    except OSError:
        pass  # a page cut short (or late) still says what it says
    return body[:wanted]


def _excerpt(page: bytes) -> str | None:
    text = " ".join(page.decode("utf-8", "replace").split())
    return text[:_MAX_PAGE] or None


def parse_head(head: bytes) -> tuple[int | None, str | None, dict[str, str]]:
    """Status, reason and headers (lower-case names, repeats joined) of an HTTP/1.x head."""
    lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None, None, {}
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            # A repeated header (one Proxy-Authenticate per scheme) is one list, RFC 9110 5.3.
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return int(parts[1]), parts[2] if len(parts) > 2 else "", headers


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, StepTimeout)):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
