"""When a command's packets pass the router: its first DNS query, whether every query left in
the first wave, and how long the process lived after its last answer.

tcpdump captures on the router's client-side interface (ncbf0 in ncb-fw), where a query is
seen as it leaves the client (the delay line holds it later, inside the router) and an answer
as it reaches the client (after its delay). The kernel stamps each packet with the wall clock
(CLOCK_REALTIME), the clock `time.time()` reads, so the stamps compare directly with the
moments the harness spawned the process and saw it exit. Nothing traces the process itself:
the command runs exactly as in the timed rows, at full speed (strace would slow every system
call of the many threads).
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import world
from tests.world.netns import WorldError

_ETHERNET = 1  # pcap link type
_IPV4 = 0x0800
_UDP, _TCP = 17, 6
# Enough of each packet for the Ethernet, IPv4 and TCP headers (options included).
SNAPLEN = 128
SETTLE = 0.3  # seconds: the last packets of a run still cross the delay line after it exits


@dataclass(frozen=True)
class Packet:
    at: float  # wall clock, seconds
    src: str
    dst: str
    sport: int
    dport: int
    protocol: int
    payload: int  # bytes of UDP or TCP payload


@dataclass(frozen=True)
class Timeline:
    """One run of one command as the router saw it, times in seconds from its spawn."""

    first_query: float | None  # the first DNS query leaving the client
    queries: int
    queries_before_first_answer: int  # sent before any DNS answer came back: the first wave
    last_answer: float | None  # the last packet with a payload from a server to the client
    exited: float

    @property
    def one_wave(self) -> bool:
        return self.queries > 0 and self.queries_before_first_answer == self.queries

    @property
    def after_last_answer(self) -> float | None:
        return None if self.last_answer is None else self.exited - self.last_answer


@dataclass
class Traced:
    """One command whose timeline is captured once a round; `key` names it in RESULTS.md."""

    key: str
    tool: str
    argv: Sequence[str]
    samples: list[Timeline] = field(default_factory=list)


def read_pcap(path: Path) -> list[Packet]:
    """The IPv4 UDP and TCP packets of a classic pcap file (tcpdump -w), in capture order."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        order = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        order = ">"
    else:
        raise WorldError(f"{path}: not a pcap file")
    nanoseconds = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    (link,) = struct.unpack(order + "I", data[20:24])
    if link != _ETHERNET:
        raise WorldError(f"{path}: link type {link}, expected Ethernet")
    packets = []
    offset = 24
    while offset + 16 <= len(data):
        seconds, fraction, captured, _ = struct.unpack(order + "IIII", data[offset : offset + 16])
        frame = data[offset + 16 : offset + 16 + captured]
        offset += 16 + captured
        at = seconds + fraction / (1e9 if nanoseconds else 1e6)
        packet = _parse(frame, at)
        if packet is not None:
            packets.append(packet)
    return packets


def _parse(frame: bytes, at: float) -> Packet | None:
    if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != _IPV4:
        return None
    ip = frame[14:]
    header = (ip[0] & 0x0F) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    protocol = ip[9]
    src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
    transport = ip[header:]
    if protocol == _UDP and len(transport) >= 8:
        sport, dport, length = struct.unpack("!HHH", transport[:6])
        return Packet(at, src, dst, sport, dport, protocol, length - 8)
    if protocol == _TCP and len(transport) >= 14:
        sport, dport = struct.unpack("!HH", transport[:4])
        offset = (transport[12] >> 4) * 4
        return Packet(at, src, dst, sport, dport, protocol, total - header - offset)
    return None


def timeline(packets: Sequence[Packet], spawned: float, exited: float) -> Timeline:
    """What the router saw of one run that started at `spawned` and ended at `exited`."""
    client = world.CLIENT_ADDR
    queries = [p.at for p in packets if p.src == client and p.protocol == _UDP and p.dport == 53]
    answers = [p.at for p in packets if p.dst == client and p.protocol == _UDP and p.sport == 53]
    data_in = [p.at for p in packets if p.dst == client and p.payload > 0]
    first_answer = min(answers, default=float("inf"))
    return Timeline(
        first_query=min(queries) - spawned if queries else None,
        queries=len(queries),
        queries_before_first_answer=sum(1 for q in queries if q < first_answer),
        last_answer=max(data_in) - spawned if data_in else None,
        exited=exited - spawned,
    )


def run_captured(argv: Sequence[str], env: dict[str, str], folder: Path, name: str) -> Timeline:
    """Run `argv` once (output discarded) while tcpdump captures in the router."""
    pcap = folder / f"{name}.pcap"
    log = folder / f"{name}.tcpdump.log"
    with log.open("wb") as err:
        capture = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                world.FW_NS,
                "tcpdump",
                "-i",
                "ncbf0",
                "-n",
                "-s",
                str(SNAPLEN),
                "--immediate-mode",  # hand each packet over at once, not a buffer a second
                "-U",  # and write it at once: nothing is lost at the stop
                "-w",
                str(pcap),
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        _wait_listening(log, capture)
        spawned = time.time()
        subprocess.run(
            argv,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            timeout=300,
            check=False,
        )
        exited = time.time()
        time.sleep(SETTLE)
    finally:
        os.kill(capture.pid, signal.SIGINT)
        capture.wait(timeout=10)
    packets = [p for p in read_pcap(pcap) if spawned <= p.at <= exited + SETTLE]
    return timeline(packets, spawned, exited)


def _wait_listening(log: Path, capture: subprocess.Popen[bytes], seconds: float = 10.0) -> None:
    """tcpdump says "listening on" once its socket is open: packets from then on are kept."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if "listening on" in log.read_text(errors="replace"):
            return
        if capture.poll() is not None:
            break
        time.sleep(0.02)
    raise WorldError(f"tcpdump did not start in {world.FW_NS}: {log.read_text(errors='replace')}")
