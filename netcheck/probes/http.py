"""One HTTP request over an already open connection (h11), so no second path is taken."""

from __future__ import annotations

import time
from typing import Protocol

import h11

from netcheck import __version__
from netcheck.models import HttpObservation, Outcome
from netcheck.probes.transport import CHUNK, StepTimeout

_BODY_LIMIT = 16 * 1024
_EXCERPT = 300
_MAX_HEAD = 64 * 1024


class Stream(Protocol):
    """The open connection: plain TCP, or TLS over it. Both raise StepTimeout at `deadline`,
    OSError when the connection fails, and read b"" once the peer has closed."""

    async def read(self, max_bytes: int, deadline: float) -> bytes: ...

    async def write(self, data: bytes, deadline: float) -> None: ...


async def request(
    stream: Stream,
    scheme: str,
    host: str,
    port: int,
    timeout: float,
    proxy_headers: list[tuple[bytes, bytes]] | None = None,
) -> Exchange:
    """Send GET / now; read the answer later with `Exchange.response`.

    With `proxy_headers` the stream leads to a proxy, which is asked in absolute form
    (`GET http://host/`), the way clients send plain HTTP through a proxy.
    """
    exchange = Exchange(stream, timeout)
    target = f"{scheme}://{host}:{port}/".encode("idna") if proxy_headers is not None else b"/"
    headers = [
        (b"Host", host.encode("idna")),
        (b"User-Agent", f"netcheck/{__version__}".encode()),
        (b"Accept", b"*/*"),
        (b"Connection", b"close"),
        *(proxy_headers or []),
    ]
    connection = exchange.connection
    try:
        head = connection.send(h11.Request(method=b"GET", target=target, headers=headers))
        await stream.write(head + connection.send(h11.EndOfMessage()), exchange.deadline)
    except OSError as exc:  # StepTimeout is one
        exchange.failure = exc
    return exchange


class Exchange:
    """One request on an open connection, from the moment it is sent to its answer."""

    def __init__(self, stream: Stream, timeout: float) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD)
        self.failure: OSError | None = None  # sending failed

    async def response(self) -> HttpObservation:
        """The status, the headers and the start of the body, or why there is none."""
        try:
            if self.failure is not None:
                raise self.failure
            response, body = await _receive(self.connection, self.stream, self.deadline)
        except StepTimeout:
            outcome, error = Outcome.TIMEOUT, "no HTTP answer in time"
        except h11.RemoteProtocolError as exc:
            outcome, error = Outcome.PROTOCOL, f"not a valid HTTP answer: {exc}"
        except OSError as exc:
            outcome, error = Outcome.ERROR, str(exc) or type(exc).__name__
        else:
            if response is not None:
                return HttpObservation(
                    Outcome.OK,
                    status=response.status_code,
                    reason=response.reason.decode("latin-1"),
                    headers={
                        k.decode("latin-1").lower(): v.decode("latin-1")
                        for k, v in response.headers
                    },
                    body_excerpt=_excerpt(body),
                    duration_ms=_since(self.started),
                )
            outcome, error = Outcome.PROTOCOL, "the server closed the connection without answering"
        return HttpObservation(outcome, error=error, duration_ms=_since(self.started))


async def _receive(
    connection: h11.Connection, stream: Stream, deadline: float
) -> tuple[h11.Response | None, bytes]:
    """The response head and up to _BODY_LIMIT bytes of its body; no head when the peer
    closed before answering."""
    response: h11.Response | None = None
    body = b""
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await stream.read(CHUNK, deadline)
            if not data and response is None:
                return None, b""
            connection.receive_data(data)
        elif isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) >= _BODY_LIMIT:
                break
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            break
    return response, body


def _since(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _excerpt(body: bytes) -> str | None:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:_EXCERPT] or None
