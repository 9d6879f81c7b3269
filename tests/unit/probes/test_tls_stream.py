"""probes.tls over loopback: OpenSSL's records carried by the event loop through memory
buffers, against a real TLS server (Python's ssl with a trustme chain), every way a
handshake can end, and one request over the secured stream."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import pytest
import trustme

from netcheck.models import HttpObservation, Outcome, TlsObservation
from netcheck.probes import event_loop
from netcheck.probes.http import request
from netcheck.probes.tls import handshake, make_context
from netcheck.probes.transport import connect

pytestmark = pytest.mark.usefixtures("any_loop")

HOST = "tls.example"
Serve = Callable[[socket.socket], None]


@pytest.fixture(scope="module")
def server_context() -> ssl.SSLContext:
    """A leaf for HOST under an intermediate under a root: the chain has two certificates."""
    root = trustme.CA()
    intermediate = root.create_child_ca()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    intermediate.issue_cert(HOST).configure_cert(context)
    return context


@pytest.fixture
def listener() -> Iterator[Callable[[Serve], int]]:
    """Serve one connection on loopback with `serve`; the port to connect to."""
    sock = socket.create_server(("127.0.0.1", 0))
    threads: list[threading.Thread] = []

    def start(serve: Serve) -> int:
        def run() -> None:
            conn, _ = sock.accept()
            with conn:
                serve(conn)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return int(sock.getsockname()[1])

    yield start
    sock.close()
    for thread in threads:
        thread.join(timeout=5)


def shake(port: int, timeout: float = 5.0) -> tuple[TlsObservation, int, HttpObservation | None]:
    """Connect, shake hands and, when that worked, send GET / and read its answer."""

    async def run() -> tuple[TlsObservation, int, HttpObservation | None]:
        stream, tcp = await connect(("127.0.0.1",), port, timeout)
        assert stream is not None, tcp
        try:
            secured, tls, chain = await handshake(stream, HOST, make_context(), timeout)
            if secured is None:
                return tls, len(chain), None
            exchange = await request(secured, "https", HOST, port, timeout)
            return tls, len(chain), await exchange.response()
        finally:
            stream.close()

    return event_loop.run(run(), threads=1)


def tls_server(context: ssl.SSLContext, answer: bytes) -> Serve:
    """Shake hands, read the request head, send `answer`, then close without close_notify."""

    def serve(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as secured:
            data = b""
            while b"\r\n\r\n" not in data:
                data += secured.recv(4096)
            secured.sendall(answer)
            # closing the socket under the TLS layer: no close_notify, as many servers do
            socket.socket(fileno=secured.detach()).close()

    return serve


def test_the_whole_chain_is_captured_and_the_answer_read(
    server_context: ssl.SSLContext, listener: Callable[[Serve], int]
) -> None:
    answer = b"HTTP/1.1 404 Not Found\r\nServer: test\r\n\r\nnothing here"
    tls, chain, http = shake(listener(tls_server(server_context, answer)))
    assert tls.outcome is Outcome.OK and tls.version in ("TLSv1.2", "TLSv1.3")
    assert chain == 2  # the leaf and the intermediate
    assert http is not None
    assert (http.outcome, http.status, http.body_excerpt) == (Outcome.OK, 404, "nothing here")


def close_at_once(conn: socket.socket) -> None:
    conn.recv(4096)  # the whole ClientHello: closing with unread data would send a reset


def reset_at_once(conn: socket.socket) -> None:
    conn.recv(1)
    # SO_LINGER with a zero timeout: close() sends a reset, not a FIN
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def speak_ssh(conn: socket.socket) -> None:
    conn.recv(1)
    conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n" * 20)


def stay_silent(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.recv(1)  # until the client gives up and closes


@pytest.mark.parametrize(
    ("serve", "outcome", "words"),
    [
        (close_at_once, Outcome.RESET, "connection closed during the handshake"),
        (reset_at_once, Outcome.RESET, "connection reset during the handshake"),
        (speak_ssh, Outcome.PROTOCOL, "wrong version number"),
        (stay_silent, Outcome.TIMEOUT, "no answer to the TLS handshake"),
    ],
)
def test_a_handshake_that_fails_says_how(
    listener: Callable[[Serve], int], serve: Serve, outcome: Outcome, words: str
) -> None:
    tls, chain, http = shake(listener(serve), timeout=0.5)
    assert (tls.outcome, chain, http) == (outcome, 0, None)
    assert tls.error is not None and words in tls.error
