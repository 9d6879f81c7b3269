"""One HTTP request over an already open connection (httpcore), so no second path is taken."""

from __future__ import annotations

import socket
import time

import httpcore

from netcheck import __version__
from netcheck.models import HttpObservation, Outcome
from netcheck.probes.transport import StepTimeout, wait

_BODY_LIMIT = 16 * 1024
_EXCERPT = 300


def fetch(
    stream: httpcore.NetworkStream,
    scheme: str,
    host: str,
    port: int,
    timeout: float,
    proxy_headers: list[tuple[bytes, bytes]] | None = None,
) -> HttpObservation:
    """GET / and keep the status, the headers and the start of the body.

    With `proxy_headers` the stream leads to a proxy, which is asked in absolute form
    (`GET http://host/`), the way clients send plain HTTP through a proxy.
    """
    started = time.monotonic()
    origin = httpcore.Origin(scheme.encode(), host.encode("idna"), port)
    connection = httpcore.HTTP11Connection(origin=origin, stream=stream)
    headers = [
        (b"Host", host.encode("idna")),
        (b"User-Agent", f"netcheck/{__version__}".encode()),
        (b"Accept", b"*/*"),
        (b"Connection", b"close"),
        *(proxy_headers or []),
    ]
    absolute = f"{scheme}://{host}:{port}/".encode("idna")
    url = httpcore.URL(
        scheme=scheme.encode(),
        host=host.encode("idna"),
        port=port,
        target=absolute if proxy_headers is not None else b"/",
    )
    extensions = {"timeout": {"read": timeout, "write": timeout}}
    try:
        with connection.stream("GET", url, headers=headers, extensions=extensions) as response:
            body = b""
            for chunk in response.iter_stream():
                body += chunk
                if len(body) >= _BODY_LIMIT:
                    break
            return HttpObservation(
                Outcome.OK,
                status=response.status,
                reason=response.extensions.get("reason_phrase", b"").decode("latin-1"),
                headers={
                    k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers
                },
                body_excerpt=_excerpt(body),
                duration_ms=(time.monotonic() - started) * 1000,
            )
    except httpcore.TimeoutException as exc:
        outcome, error = Outcome.TIMEOUT, str(exc) or "no HTTP answer in time"
    except httpcore.RemoteProtocolError as exc:
        outcome, error = Outcome.PROTOCOL, str(exc)
    except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
        outcome, error = Outcome.ERROR, str(exc)
    finally:
        connection.close()
    return HttpObservation(outcome, error=error, duration_ms=(time.monotonic() - started) * 1000)


def _excerpt(body: bytes) -> str | None:
    text = " ".join(body.decode("utf-8", "replace").split())
    return text[:_EXCERPT] or None


class PlainStream(httpcore.NetworkStream):
    """httpcore's view of a plain TCP socket (port-80 revocation hosts)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        sock.setblocking(False)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            wait(self._sock, write=False, deadline=time.monotonic() + (timeout or 3600.0))
            return self._sock.recv(max_bytes)
        except StepTimeout:
            raise httpcore.ReadTimeout("no HTTP answer in time") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from None

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or 3600.0)
        view = memoryview(buffer)
        try:
            while view:
                wait(self._sock, write=True, deadline=deadline)
                view = view[self._sock.send(view) :]
        except StepTimeout:
            raise httpcore.WriteTimeout("could not send the HTTP request in time") from None
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from None

    def close(self) -> None:
        self._sock.close()
