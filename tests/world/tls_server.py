"""The world's HTTPS server, a standalone script: python tls_server.py CONFIG.json

Standard library only, so it runs with any interpreter inside `ip netns exec ncw-srv`.
Each listener is one of:
  tls         picks the certificate chain by SNI, reads the request, answers 404 (or, for a
              site with "http": "close", closes without answering)
  legacy-tls  the same, but speaks TLS 1.0/1.1 only (refusing newer clients with an alert)
  tls1.0-only the same, but speaks TLS 1.0 only, and resets a connection whose ClientHello
              does not offer TLS 1.0, as old servers and gateways do
  ntlm-proxy  an HTTP proxy that answers every request 407, offering NTLM and Negotiate only
  stall       accepts TCP and never says a word
  http        plain HTTP: reads the request, answers 404 (the port-80 revocation hosts)
CONFIG:
  {"ready_file": PATH, "max_seconds": N,
   "listeners": [{"address": A, "port": P, "kind": K}],
   "sites": {SITE: {"chain": PEM, "key": PEM, "http": "answer" | "close",
                    "date_offset": SECONDS added to the Date header}},
   "default_site": SITE, "names": {SNI_NAME: SITE}}
The ready file receives the PID once every listener is bound. The server stops by itself
after max_seconds, so a lost test run never leaves it behind for long.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

IO_TIMEOUT = 10.0
STALL_SECONDS = 60.0
MAX_REQUEST_HEAD = 65536


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


class Sites:
    """One SSL context per site and protocol range; SNI selects among them."""

    def __init__(self, config: dict[str, Any], legacy: bool, only_tls10: bool = False) -> None:
        self.names: dict[str, str] = config["names"]
        self.default = config["default_site"]
        self.http = {name: site["http"] for name, site in config["sites"].items()}
        self.date_offset = {name: site["date_offset"] for name, site in config["sites"].items()}
        self.contexts = {
            name: self._context(site, legacy, only_tls10) for name, site in config["sites"].items()
        }
        self.site_of = {id(ctx): name for name, ctx in self.contexts.items()}
        self.front = self.contexts[self.default]
        self.front.sni_callback = self._choose

    @staticmethod
    def _context(site: dict[str, str], legacy: bool, only_tls10: bool) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if legacy:
            # OpenSSL 3 refuses TLS < 1.2 at the default security level
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1 if only_tls10 else ssl.TLSVersion.TLSv1_1
        ctx.load_cert_chain(site["chain"], site["key"])
        return ctx

    def _choose(
        self, sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, _ctx: ssl.SSLContext
    ) -> None:
        sock.context = self.contexts[self.names.get((name or "").lower(), self.default)]


def read_request_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < MAX_REQUEST_HEAD:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def answer_404(conn: socket.socket, date_offset: float = 0) -> None:
    body = b"Not Found\n"
    head = (
        "HTTP/1.1 404 Not Found\r\n"
        f"Date: {email.utils.formatdate(time.time() + date_offset, usegmt=True)}\r\n"
        "Server: test-azure\r\n"
        "Content-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    conn.sendall(head.encode("ascii") + body)


def serve_tls(raw: socket.socket, peer: Any, sites: Sites) -> None:
    raw.settimeout(IO_TIMEOUT)
    try:
        conn = sites.front.wrap_socket(raw, server_side=True)
    except (OSError, ssl.SSLError) as exc:
        log(f"{peer} handshake failed: {exc}")
        raw.close()
        return
    site = sites.site_of.get(id(conn.context), "?")
    try:
        head = read_request_head(conn)
        first_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        if sites.http.get(site) == "close":
            log(f"{peer} {site} {first_line!r}: closing without an answer")
            return
        answer_404(conn, sites.date_offset.get(site, 0))
        log(f"{peer} {site} {first_line!r}: 404")
        with contextlib.suppress(OSError, ssl.SSLError):
            conn.unwrap()
    except (OSError, ssl.SSLError) as exc:
        log(f"{peer} {site} error: {exc}")
    finally:
        conn.close()


def offers_tls10(hello: bytes) -> bool:
    """Whether a ClientHello (one TLS record) offers TLS 1.0: in supported_versions when it
    has that extension, else by its client_version (1.0 and up)."""
    if len(hello) < 11 or hello[0] != 0x16 or hello[5] != 0x01:
        return False
    pos = 9 + 2 + 32  # record and handshake headers, client_version, random
    pos += 1 + hello[pos]  # session id
    pos += 2 + int.from_bytes(hello[pos : pos + 2], "big")  # cipher suites
    pos += 1 + hello[pos]  # compression methods
    end = pos + 2 + int.from_bytes(hello[pos : pos + 2], "big")
    pos += 2
    while pos + 4 <= min(end, len(hello)):
        kind = int.from_bytes(hello[pos : pos + 2], "big")
        size = int.from_bytes(hello[pos + 2 : pos + 4], "big")
        if kind == 0x002B:  # supported_versions: a length byte, then two bytes per version
            listed = hello[pos + 5 : pos + 4 + size]
            return b"\x03\x01" in [listed[i : i + 2] for i in range(0, len(listed), 2)]
        pos += 4 + size
    return hello[9:11] >= b"\x03\x01"


def read_client_hello(raw: socket.socket) -> bytes:
    """The first TLS record, peeked (left in the socket for the handshake that follows)."""
    deadline = time.monotonic() + IO_TIMEOUT
    data = b""
    while time.monotonic() < deadline:
        data = raw.recv(16384, socket.MSG_PEEK)
        if not data or (len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[3:5], "big")):
            break
        time.sleep(0.01)
    return data


def serve_tls10_only(raw: socket.socket, peer: Any, sites: Sites) -> None:
    raw.settimeout(IO_TIMEOUT)
    try:
        hello = read_client_hello(raw)
    except OSError:
        raw.close()
        return
    if not offers_tls10(hello):
        log(f"{peer} ClientHello without TLS 1.0: reset")
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()
        return
    serve_tls(raw, peer, sites)


def serve_ntlm_proxy(raw: socket.socket, peer: Any) -> None:
    raw.settimeout(IO_TIMEOUT)
    try:
        first_line = read_request_head(raw).split(b"\r\n", 1)[0].decode("latin-1")
        body = b"<html><body>Proxy authentication required</body></html>\n"
        raw.sendall(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n"
            b"Proxy-Authenticate: NTLM\r\n"
            b"Proxy-Authenticate: Negotiate\r\n"
            b"Content-Type: text/html\r\n"
            + f"Content-Length: {len(body)}\r\n".encode()
            + b"Connection: close\r\n\r\n"
            + body
        )
        log(f"{peer} proxy {first_line!r}: 407 NTLM, Negotiate")
    except OSError as exc:
        log(f"{peer} proxy error: {exc}")
    finally:
        raw.close()


def serve_stall(raw: socket.socket, peer: Any) -> None:
    raw.settimeout(STALL_SECONDS)
    log(f"{peer} stalling")
    try:
        while raw.recv(4096):
            pass
    except OSError:
        pass
    finally:
        raw.close()


def serve_http(raw: socket.socket, peer: Any) -> None:
    raw.settimeout(IO_TIMEOUT)
    try:
        first_line = read_request_head(raw).split(b"\r\n", 1)[0].decode("latin-1")
        answer_404(raw)
        log(f"{peer} plain {first_line!r}: 404")
    except OSError as exc:
        log(f"{peer} plain error: {exc}")
    finally:
        raw.close()


Handler = Callable[[socket.socket, Any], None]


def accept_loop(listener: socket.socket, handler: Handler) -> None:
    while True:
        raw, peer = listener.accept()
        threading.Thread(target=handler, args=(raw, peer), daemon=True).start()


def main(config_path: str) -> None:
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    handlers: dict[str, Handler] = {
        "tls": functools.partial(serve_tls, sites=Sites(config, legacy=False)),
        "legacy-tls": functools.partial(serve_tls, sites=Sites(config, legacy=True)),
        "tls1.0-only": functools.partial(
            serve_tls10_only, sites=Sites(config, legacy=True, only_tls10=True)
        ),
        "ntlm-proxy": serve_ntlm_proxy,
        "stall": serve_stall,
        "http": serve_http,
    }
    for spec in config["listeners"]:
        listener = socket.create_server((spec["address"], spec["port"]), backlog=128)
        handler = handlers[spec["kind"]]
        threading.Thread(target=accept_loop, args=(listener, handler), daemon=True).start()
        log(f"listening on {spec['address']}:{spec['port']} ({spec['kind']})")
    with open(config["ready_file"], "w", encoding="utf-8") as f:
        f.write(str(os.getpid()))
    time.sleep(float(config.get("max_seconds", 1800)))
    log("max_seconds reached, stopping")


if __name__ == "__main__":
    main(sys.argv[1])
