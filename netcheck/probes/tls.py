"""The TLS handshake with pyOpenSSL: it keeps the whole presented chain, trusted or not.

OpenSSL speaks through memory buffers and the event loop carries their bytes, so that one
thread drives every handshake of a run, with any event loop (Windows' too).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from OpenSSL import SSL, crypto

from netcheck import certs
from netcheck.models import Outcome, TlsObservation, TrustVerdict
from netcheck.probes.transport import CHUNK, PlainSocket, StepTimeout, classify_os_error

T = TypeVar("T")

# OpenSSL's words for "no TLS version both sides accept" (as client or from the server's alert).
_PROTOCOL_WORDS = (
    "unsupported protocol",
    "protocol version",
    "wrong version number",
    "no protocols available",
    "version too low",
    "tlsv1 alert protocol",
)


class PeerClosed(ConnectionError):
    """The peer closed the connection before the handshake was done."""


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


async def legacy_attempt(
    transport: PlainSocket, host: str, context: SSL.Context, timeout: float
) -> tuple[str | None, str | None]:
    """The version and cipher a legacy handshake negotiates, or (None, None); closes it."""
    try:
        stream, observation, _ = await handshake(transport, host, context, timeout)
        if stream is None:
            return None, None
        return observation.version, observation.cipher
    finally:
        transport.close()


async def handshake(
    transport: PlainSocket, host: str, context: SSL.Context, timeout: float
) -> tuple[TlsStream | None, TlsObservation, list[crypto.X509]]:
    """Shake hands with SNI `host` and capture the presented chain, to be judged by `judge`."""
    started = time.monotonic()
    conn = SSL.Connection(context, None)
    conn.set_tlsext_host_name(host.encode("idna"))
    conn.set_connect_state()
    stream = TlsStream(conn, transport)
    try:
        await stream.drive(started + timeout, conn.do_handshake)
    except (SSL.Error, OSError) as exc:
        outcome, error = classify_tls_error(exc)
        return None, TlsObservation(outcome, error=error, duration_ms=_since(started)), []
    observation = TlsObservation(
        Outcome.OK,
        version=conn.get_protocol_version_name(),
        cipher=conn.get_cipher_name(),
        duration_ms=_since(started),
    )
    return stream, observation, conn.get_peer_cert_chain() or []


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
    and the host name. Pure CPU, which no packet waits for: the probe runs it last.

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


def classify_tls_error(exc: BaseException) -> tuple[Outcome, str]:
    if isinstance(exc, StepTimeout):
        return Outcome.TIMEOUT, "no answer to the TLS handshake"
    # SysCallError: OpenSSL saw its transport end (only a memory buffer shut down, here)
    if isinstance(exc, (PeerClosed, SSL.ZeroReturnError, SSL.SysCallError)):
        return Outcome.RESET, "connection closed during the handshake"
    if isinstance(exc, OSError):
        outcome = classify_os_error(exc)
        if outcome is Outcome.RESET:
            return outcome, f"connection reset during the handshake ({exc.strerror or exc})"
        return outcome, str(exc)
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
    """A TLS connection over a connected socket, as an HTTP stream (probes.http.Stream): the
    request travels over the very connection whose chain was judged."""

    def __init__(self, conn: SSL.Connection, transport: PlainSocket) -> None:
        self._conn = conn
        self._transport = transport
        self._closed_by_peer = False

    async def drive(self, deadline: float, operation: Callable[..., T], *args: object) -> T:
        """Run a pyOpenSSL call, carrying its records to and from the socket until it is done.

        Raises StepTimeout at `deadline`, OSError when the socket fails, PeerClosed when the
        peer closed before OpenSSL had what it needed, SSL.Error for what OpenSSL reports."""
        while True:
            try:
                result = operation(*args)
            except SSL.WantReadError:
                await self._flush(deadline)
                if self._closed_by_peer:
                    raise PeerClosed from None
                data = await self._transport.read(CHUNK, deadline)
                if data:
                    self._conn.bio_write(data)
                else:
                    self._closed_by_peer = True
                    self._conn.bio_shutdown()
                continue
            except SSL.Error as exc:
                # After the peer's close OpenSSL reports an unexpected end of file, in words
                # that vary by version: what happened is that the peer closed.
                if self._closed_by_peer and not isinstance(exc, SSL.ZeroReturnError):
                    raise PeerClosed from exc
                # the alert OpenSSL wrote, which it would have sent itself on a socket
                with contextlib.suppress(OSError, SSL.Error):
                    await self._flush(deadline)
                raise
            await self._flush(deadline)
            return result

    async def _flush(self, deadline: float) -> None:
        """Send what OpenSSL has written (a handshake message, an alert, a record)."""
        while True:
            try:
                data = self._conn.bio_read(CHUNK)
            except SSL.WantReadError:
                return
            await self._transport.write(data, deadline)

    async def read(self, max_bytes: int, deadline: float) -> bytes:
        try:
            return await self.drive(deadline, self._conn.recv, max_bytes)
        except (SSL.ZeroReturnError, PeerClosed):
            # the peer closed, with close_notify or without (as many servers do); the HTTP
            # layer tells a missing answer from a short one
            return b""
        except SSL.Error as exc:
            raise ConnectionError(_openssl_text(exc)) from None

    async def write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        try:
            while view:
                sent = await self.drive(deadline, self._conn.send, view)
                view = view[sent:]
        except SSL.Error as exc:
            raise ConnectionError(_openssl_text(exc)) from None

    def close(self) -> None:
        self._transport.close()
