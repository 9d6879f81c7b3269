"""Plain HTTP for the port-80 revocation hosts, with a listen backlog such as real servers have.

Standalone: python -m bench.http_endpoint ADDRESS PORT DIRECTORY MAX_SECONDS
It answers every GET with DIRECTORY's listing (status 200). `python -m http.server` listens
with a backlog of 5: the ten revocation hosts of a default check connecting at once overflow
it, the kernel drops the extra SYNs, and the client waits a whole second to send them again,
which no server on the internet would make it do. The server stops by itself after
MAX_SECONDS, so a lost benchmark never leaves it behind for long.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128


def main(address: str, port: int, directory: str, max_seconds: float) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    with Server((address, port), handler) as server:
        stop = threading.Timer(max_seconds, server.shutdown)
        stop.daemon = True
        stop.start()
        server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
