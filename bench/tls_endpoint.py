"""The test world's TLS server (tests/world/tls_server.py) with Nagle's algorithm turned off and
a listen backlog as deep as the kernel allows.

Standalone: python -m bench.tls_endpoint CONFIG.json (from the repository root).
Front ends on the internet send small answers at once (nginx and the like set TCP_NODELAY). With
Nagle on, the server's TLS 1.3 session tickets and its HTTP answer leave as two small writes,
and the second waits for the client's delayed ACK of the first: a round trip and more that any
client would pay, and which the benchmark would then measure instead of the client.
The test world listens with a backlog of 128; --all-regions connects to about 250 names at
once, the accept queue overflowed (thousands of ListenOverflows in ncb-srv) and some clients'
handshakes were reset, which no front end on the internet does to a few hundred connections.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from tests.world import tls_server

_create_server = socket.create_server


def create_server(*args: Any, **kwargs: Any) -> socket.socket:
    """A listener whose accepted connections inherit TCP_NODELAY (Linux copies it), with a
    backlog of up to net.core.somaxconn."""
    listener = _create_server(*args, **kwargs)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.listen(socket.SOMAXCONN)  # listening again only deepens the queue
    return listener


if __name__ == "__main__":
    socket.create_server = create_server
    tls_server.main(sys.argv[1])
