"""probes.http.request over loopback: one request on an open connection, every way it can end."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from netcheck.models import HttpObservation, Outcome
from netcheck.probes import event_loop
from netcheck.probes.http import request
from netcheck.probes.transport import PlainSocket

pytestmark = pytest.mark.usefixtures("any_loop")

Serve = Callable[[socket.socket, bytes], None]
Start = Callable[[Serve], tuple[socket.socket, list[bytes]]]


def answer(raw: bytes) -> Serve:
    def serve(conn: socket.socket, _request: bytes) -> None:
        conn.sendall(raw)

    return serve


def close_at_once(conn: socket.socket, _request: bytes) -> None:
    pass


def stay_silent(conn: socket.socket, _request: bytes) -> None:
    conn.recv(1)  # until the client gives up and closes


@pytest.fixture
def served() -> Iterator[Start]:
    """A connected socket to a one-shot loopback server running `serve` after the request."""
    listener = socket.create_server(("127.0.0.1", 0))
    threads: list[threading.Thread] = []
    requests: list[bytes] = []

    def start(serve: Serve) -> tuple[socket.socket, list[bytes]]:
        def run() -> None:
            conn, _ = listener.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(4096)
                requests.append(data)
                serve(conn, data)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return socket.create_connection(listener.getsockname()), requests

    yield start
    listener.close()
    for thread in threads:
        thread.join(timeout=5)


def fetch(
    sock: socket.socket,
    host: str,
    timeout: float,
    proxy_headers: list[tuple[bytes, bytes]] | None = None,
) -> HttpObservation:
    """GET / over `sock` on an event loop of its own, as a probe sends it."""

    async def exchange() -> HttpObservation:
        sock.setblocking(False)
        sent = await request(PlainSocket(sock), "http", host, 80, timeout, proxy_headers)
        return await sent.response()

    return event_loop.run(exchange(), threads=1)


def test_an_answer_keeps_status_headers_and_body_start(served: Start) -> None:
    body = b"Not Found\n" + b"x" * 40000
    head = b"HTTP/1.1 404 Not Found\r\nServer: test\r\nContent-Length: %d\r\n\r\n" % len(body)
    sock, requests = served(answer(head + body))
    with sock:
        seen = fetch(sock, "host.example", timeout=5)
    assert seen.outcome is Outcome.OK
    assert (seen.status, seen.reason) == (404, "Not Found")
    assert seen.headers["server"] == "test"
    assert seen.body_excerpt is not None and seen.body_excerpt.startswith("Not Found x")
    assert requests[0].startswith(b"GET / HTTP/1.1\r\n")
    assert b"Host: host.example\r\n" in requests[0]


def test_through_a_proxy_the_request_is_in_absolute_form(served: Start) -> None:
    sock, requests = served(answer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    with sock:
        auth = [(b"Proxy-Authorization", b"Basic dTpw")]
        seen = fetch(sock, "crl.example", timeout=5, proxy_headers=auth)
    assert seen.status == 200
    assert requests[0].startswith(b"GET http://crl.example:80/ HTTP/1.1\r\n")
    assert b"Proxy-Authorization: Basic dTpw\r\n" in requests[0]


def test_an_answer_ended_by_closing_is_still_an_answer(served: Start) -> None:
    sock, _ = served(answer(b"HTTP/1.0 403 Forbidden\r\n\r\nblocked by policy"))
    with sock:
        seen = fetch(sock, "host.example", timeout=5)
    assert (seen.outcome, seen.status, seen.body_excerpt) == (Outcome.OK, 403, "blocked by policy")


@pytest.mark.parametrize(
    ("serve", "outcome", "words"),
    [
        (close_at_once, Outcome.PROTOCOL, "closed the connection without answering"),
        (answer(b"SSH-2.0-OpenSSH_9.2\r\n\r\n"), Outcome.PROTOCOL, "not a valid HTTP answer"),
        (stay_silent, Outcome.TIMEOUT, "no HTTP answer in time"),
    ],
)
def test_no_usable_answer(served: Start, serve: Serve, outcome: Outcome, words: str) -> None:
    sock, _ = served(serve)
    with sock:
        seen = fetch(sock, "host.example", timeout=0.3)
    assert seen.outcome is outcome
    assert seen.error is not None and words in seen.error
    assert seen.status is None
