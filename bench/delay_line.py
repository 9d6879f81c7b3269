"""A user-space delay line: holds every queued packet for a fixed time, then lets it through.

Standalone: python delay_line.py QUEUE_NUM DELAY_MS READY_FILE MAX_SECONDS
Run inside the router namespace, fed by `iptables -A FORWARD -j NFQUEUE --queue-num QUEUE_NUM`.
This kernel has no netem; NFQUEUE plus a verdict given later does the same for one fixed delay.
The delay is the same for every packet, so packets leave in the order they came (a FIFO).
The ready file receives the PID once the queue is bound; the line stops by itself after
MAX_SECONDS, so a lost benchmark never leaves it behind for long.
"""

from __future__ import annotations

import collections
import os
import selectors
import socket
import sys
import time

from netfilterqueue import COPY_META, NetfilterQueue, Packet

# Packets waiting for their verdict in the kernel; a 50 ms line at a few thousand packets a
# second needs a few hundred, the default 1024 would drop under a burst of handshakes.
MAX_QUEUED = 65536


def main(queue_num: int, delay_ms: float, ready_file: str, max_seconds: float) -> None:
    delay = delay_ms / 1000.0
    held: collections.deque[tuple[float, Packet]] = collections.deque()

    def hold(packet: Packet) -> None:
        held.append((time.monotonic() + delay, packet))

    queue = NetfilterQueue()
    # Only the verdict matters: the payload stays in the kernel (COPY_META).
    queue.bind(queue_num, hold, max_len=MAX_QUEUED, mode=COPY_META)
    sock = socket.fromfd(queue.get_fd(), socket.AF_NETLINK, socket.SOCK_RAW)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    with open(ready_file, "w", encoding="utf-8") as f:
        f.write(str(os.getpid()))
    stop_at = time.monotonic() + max_seconds
    try:
        while time.monotonic() < stop_at:
            now = time.monotonic()
            while held and held[0][0] <= now:
                held.popleft()[1].accept()
            wait = held[0][0] - now if held else 1.0
            if selector.select(max(wait, 0.0)):
                queue.run(block=False)
    finally:
        for _, packet in held:
            packet.accept()
        queue.unbind()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
