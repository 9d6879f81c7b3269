"""Waits, from inside a namespace, until TCP ports accept and DNS servers answer.

Standalone: python wait_ready.py '{"tcp": [[HOST, PORT]], "dns": [[SERVER, NAME]], "seconds": N}'
Exits 0 when everything answered, 1 (naming what did not) when the time ran out.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import time


def tcp_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def dns_answers(server: str, name: str) -> bool:
    """Any DNS reply at all (even NXDOMAIN) proves the server is up."""
    query = struct.pack(">HHHHHH", 0x4E43, 0x0100, 1, 0, 0, 0)
    query += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    query += struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.sendto(query, (server, 53))
            reply, _ = sock.recvfrom(4096)
        except OSError:
            return False
    return reply[:2] == query[:2]


def main(spec_text: str) -> int:
    spec = json.loads(spec_text)
    pending = [("tcp", h, p) for h, p in spec["tcp"]] + [("dns", s, n) for s, n in spec["dns"]]
    deadline = time.monotonic() + float(spec["seconds"])
    while pending and time.monotonic() < deadline:
        pending = [
            item
            for item in pending
            if not (
                tcp_accepts(item[1], item[2]) if item[0] == "tcp" else dns_answers(item[1], item[2])
            )
        ]
        if pending:
            time.sleep(0.1)
    if pending:
        print(f"not ready: {pending}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
