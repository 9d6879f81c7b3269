"""The TLS handshake with pyOpenSSL: it keeps the whole presented chain, trusted or not."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from typing import Any

from OpenSSL import SSL, crypto

from netcheck import certs
from netcheck.models import Outcome, TlsObservation, TrustVerdict
from netcheck.probes.transport import StepTimeout, classify_os_error, wait

# OpenSSL's words for "no TLS version both sides accept" (as client or from the server's alert).
_PROTOCOL_WORDS = (
    "unsupported protocol",
    "protocol version",
    "wrong version number",
    "no protocols available",
    "version too low",
    "tlsv1 alert protocol",
)


def make_context() -> SSL.Context:
    """TLS 1.2 or newer, no verification during the handshake: the chain is judged afterwards
    against each trust store, so that an untrusted chain can still be shown and explained."""
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_verify(SSL.VERIFY_NONE, lambda *_: True)
    context.set_alpn_protos([b"http/1.1"])
    return context


def make_legacy_context() -> SSL.Context:
    """The second attempt after a failed handshake: every version from TLS 1.0 and every
    cipher (security level 0), so that a server which speaks only something old answers,
    and names what it speaks, where it would otherwise just reset or close."""
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_min_proto_version(SSL.TLS1_VERSION)
    context.set_cipher_list(b"ALL:@SECLEVEL=0")
    context.set_verify(SSL.VERIFY_NONE, lambda *_: True)
    return context


def legacy_attempt(
    sock: socket.socket, host: str, context: SSL.Context, timeout: float
) -> tuple[str | None, str | None]:
    """The version and cipher a legacy handshake negotiates, or (None, None); closes `sock`."""
    try:
        conn, observation, _ = handshake(sock, host, context, timeout)
        if conn is None:
            return None, None
        return observation.version, observation.cipher
    finally:
        sock.close()


def handshake(
    sock: socket.socket, host: str, context: SSL.Context, timeout: float
) -> tuple[SSL.Connection | None, TlsObservation, list[crypto.X509]]:
    """Shake hands with SNI `host` and capture the presented chain, to be judged by `judge`."""
    started = time.monotonic()
    deadline = started + timeout
    conn = SSL.Connection(context, sock)
    conn.set_tlsext_host_name(host.encode("idna"))
    conn.set_connect_state()
    sock.setblocking(False)
    try:
        drive(conn, sock, deadline, conn.do_handshake)
    except (SSL.Error, OSError) as exc:
        outcome, error = classify_tls_error(exc)
        return None, TlsObservation(outcome, error=error, duration_ms=_since(started)), []
    observation = TlsObservation(
        Outcome.OK,
        version=conn.get_protocol_version_name(),
        cipher=conn.get_cipher_name(),
        duration_ms=_since(started),
    )
    return conn, observation, conn.get_peer_cert_chain() or []


# A run's verdicts by presented chain (its certificates' DER, leaf first); every verdict is
# against the run's own stores, in order, so a chain is judged once however many hosts send it.
Verdicts = dict[tuple[bytes, ...], tuple[TrustVerdict, ...]]


def judge(
    observation: TlsObservation,
    chain: list[crypto.X509],
    host: str,
    stores: list[certs.LoadedStore],
    verdicts: Verdicts | None = None,
) -> TlsObservation:
    """The handshake's observation with the chain described and checked against every store
    and the host name. Pure CPU: the probe runs it while the HTTP answer is on its way.

    `verdicts` is the run's cache: pass the same dict only with the same `stores`."""
    ders = tuple(crypto.dump_certificate(crypto.FILETYPE_ASN1, c) for c in chain)
    infos = tuple(certs.describe_der(der) for der in ders)
    trust = verdicts.get(ders) if verdicts is not None else None
    if trust is None:
        trust = tuple(certs.verify_x509(chain, store) for store in stores) if chain else ()
        if verdicts is not None:
            verdicts[ders] = trust
    return replace(
        observation,
        chain=infos,
        trust=trust,
        hostname_matches=certs.hostname_matches(host, infos[0].dns_names) if infos else None,
    )


def drive(
    conn: SSL.Connection, sock: socket.socket, deadline: float, operation: Any, *args: Any
) -> Any:
    """Run a pyOpenSSL call on a non-blocking socket, waiting as OpenSSL asks, until deadline."""
    while True:
        try:
            return operation(*args)
        except SSL.WantReadError:
            wait(sock, write=False, deadline=deadline)
        except SSL.WantWriteError:
            wait(sock, write=True, deadline=deadline)


def classify_tls_error(exc: BaseException) -> tuple[Outcome, str]:
    if isinstance(exc, StepTimeout):
        return Outcome.TIMEOUT, "no answer to the TLS handshake"
    if isinstance(exc, SSL.SysCallError):
        code = exc.args[0] if exc.args else None
        if code == -1 or code == 0:
            return Outcome.RESET, "connection closed during the handshake"
        return (
            Outcome.RESET,
            f"connection reset during the handshake ({exc.args[1] if len(exc.args) > 1 else code})",
        )
    if isinstance(exc, SSL.ZeroReturnError):
        return Outcome.RESET, "connection closed during the handshake"
    if isinstance(exc, OSError):
        return classify_os_error(exc), str(exc)
    text = _openssl_text(exc)
    if any(word in text.lower() for word in _PROTOCOL_WORDS):
        return Outcome.PROTOCOL, text
    return Outcome.ERROR, text


def _openssl_text(exc: BaseException) -> str:
    parts = []
    for item in exc.args[0] if exc.args and isinstance(exc.args[0], list) else []:
        parts.append(item[-1] if isinstance(item, tuple) else str(item))
    return "; ".join(p for p in parts if p) or str(exc) or type(exc).__name__


def _since(started: float) -> float:
    return (time.monotonic() - started) * 1000


class TlsStream:
    """The captured TLS connection as an HTTP stream (probes.http.Stream): the request
    travels over the very connection whose chain was judged."""

    def __init__(self, conn: SSL.Connection, sock: socket.socket) -> None:
        self._conn = conn
        self._sock = sock

    def read(self, max_bytes: int, deadline: float) -> bytes:
        try:
            data: bytes = drive(self._conn, self._sock, deadline, self._conn.recv, max_bytes)
        except (SSL.ZeroReturnError, SSL.SysCallError):
            return b""  # the peer closed; the HTTP layer tells a missing answer from a short one
        except SSL.Error as exc:
            raise ConnectionError(_openssl_text(exc)) from None
        return data

    def write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        try:
            while view:
                sent: int = drive(self._conn, self._sock, deadline, self._conn.send, view)
                view = view[sent:]
        except SSL.Error as exc:
            raise ConnectionError(_openssl_text(exc)) from None
