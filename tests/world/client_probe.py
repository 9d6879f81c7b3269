"""Plain probes run inside ncw-client to check the world itself, independently of netcheck.

python client_probe.py dns NAME [SERVER]          -> {"outcome", "addresses"}
python client_probe.py tcp ADDRESS PORT            -> {"outcome", "error"}
python client_probe.py tls HOST ADDRESS CAFILE     -> {"verified", "issuer_cn", "status_line", ...}
python client_probe.py connect PROXY PORT HOST [USER:PASSWORD]  -> {"status_line"}
python client_probe.py http ADDRESS HOST           -> {"status_line"} (plain HTTP, port 80)
Each prints one JSON object. Only the standard library plus dnspython.
"""

from __future__ import annotations

import base64
import errno
import json
import socket
import ssl
import sys
from typing import Any

import dns.resolver

TIMEOUT = 2.0


def probe_dns(name: str, server: str | None = None) -> dict[str, Any]:
    resolver = dns.resolver.Resolver(configure=server is None)
    if server:
        resolver.nameservers = [server]
    resolver.lifetime = TIMEOUT
    try:
        answer = resolver.resolve(name, "A")
    except dns.resolver.NXDOMAIN:
        return {"outcome": "nxdomain", "addresses": []}
    except dns.resolver.NoAnswer:
        return {"outcome": "no-answer", "addresses": []}
    except dns.resolver.NoNameservers:
        return {"outcome": "servfail", "addresses": []}
    except dns.resolver.LifetimeTimeout:
        return {"outcome": "timeout", "addresses": []}
    return {
        "outcome": "ok",
        "addresses": [r.to_text() for r in answer],
        "canonical": answer.canonical_name.to_text(omit_final_dot=True),
    }


def probe_tcp(address: str, port: int) -> dict[str, Any]:
    try:
        with socket.create_connection((address, port), timeout=TIMEOUT):
            return {"outcome": "ok", "error": None}
    except TimeoutError as exc:
        return {"outcome": "timeout", "error": str(exc)}
    except OSError as exc:
        outcome = {
            errno.ECONNREFUSED: "refused",
            errno.EHOSTUNREACH: "unreachable",
            errno.ECONNRESET: "reset",
        }.get(exc.errno or 0, "error")
        return {"outcome": outcome, "error": str(exc)}


def probe_tls(host: str, address: str, cafile: str) -> dict[str, Any]:
    ctx = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection((address, 443), timeout=TIMEOUT) as raw,
            ctx.wrap_socket(raw, server_hostname=host) as conn,
        ):
            cert: Any = conn.getpeercert()
            conn.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            response = b""
            while chunk := conn.recv(4096):
                response += chunk
            head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            issuer = dict(item[0] for item in cert["issuer"])
            return {
                "verified": True,
                "version": conn.version(),
                "issuer_cn": issuer.get("commonName"),
                "status_line": head[0],
                "headers": dict(h.split(": ", 1) for h in head[1:] if ": " in h),
            }
    except (OSError, ssl.SSLError) as exc:
        return {"verified": False, "error": f"{type(exc).__name__}: {exc}"}


def probe_connect(proxy: str, port: int, host: str, credentials: str | None) -> dict[str, Any]:
    request = f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n"
    if credentials:
        token = base64.b64encode(credentials.encode()).decode()
        request += f"Proxy-Authorization: Basic {token}\r\n"
    with socket.create_connection((proxy, port), timeout=TIMEOUT) as sock:
        sock.sendall((request + "\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response and (chunk := sock.recv(4096)):
            response += chunk
    return {"status_line": response.split(b"\r\n", 1)[0].decode("latin-1")}


def probe_http(address: str, host: str) -> dict[str, Any]:
    with socket.create_connection((address, 80), timeout=TIMEOUT) as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        response = b""
        while chunk := sock.recv(4096):
            response += chunk
    return {"status_line": response.split(b"\r\n", 1)[0].decode("latin-1")}


def main(argv: list[str]) -> None:
    kind, *args = argv
    if kind == "dns":
        result = probe_dns(*args)
    elif kind == "tcp":
        result = probe_tcp(args[0], int(args[1]))
    elif kind == "tls":
        result = probe_tls(*args)
    elif kind == "connect":
        result = probe_connect(args[0], int(args[1]), args[2], args[3] if len(args) > 3 else None)
    elif kind == "http":
        result = probe_http(*args)
    else:
        raise SystemExit(f"unknown probe {kind!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
