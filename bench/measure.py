"""Times whole processes: wall time from spawn to exit, and the CPU time and peak RSS the
kernel reports."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

GNU_TIME = "/usr/bin/time"  # Debian package `time`


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float  # the largest of the process and its waited-for children
    exit_code: int
    cpu_seconds: float  # user + system, the process and its waited-for children


@dataclass
class Case:
    """One command measured several times; `group` names the workload it is compared within,
    `key` is how the targets refer to it."""

    key: str
    group: str
    tool: str
    argv: Sequence[str]
    targets: int | None = None
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def peak_rss_mb(self) -> float:
        return max(s.peak_rss_mb for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)

    @property
    def low(self) -> float:
        return min(s.seconds for s in self.samples)

    @property
    def high(self) -> float:
        return max(s.seconds for s in self.samples)

    @property
    def exit_codes(self) -> str:
        return ",".join(sorted({str(s.exit_code) for s in self.samples}))


def run_once(argv: Sequence[str], env: dict[str, str], log: Path, limit: float) -> Sample:
    """Spawn, wait, and kill by PID past `limit` seconds.

    The peak RSS and the CPU time come from GNU time, not from our own wait4: a child forked
    from this (large) process counts the parent's pages until it execs, so wait4 would report
    at least our own size. time is small, and reports what its child reached and spent
    (`ip netns exec` execs the command, so that child is the command itself).
    """
    rss_file = log.with_suffix(".rss")
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(argv)}\n".encode())
        out.flush()
        started = time.monotonic()
        process = subprocess.Popen(
            [GNU_TIME, "-f", "%M %U %S", "-o", str(rss_file), *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group: a kill reaches time's child too
        )
        # A blocking wait sees the exit at once; Popen.wait(timeout) polls, up to 50 ms late.
        killer = threading.Timer(limit, os.killpg, (process.pid, signal.SIGKILL))
        killer.daemon = True  # an interrupted benchmark must not wait for it
        killer.start()
        exit_code = process.wait()
        seconds = time.monotonic() - started
        killer.cancel()
    # The last line; a line before it says "Command exited with non-zero status N".
    lines = rss_file.read_text().splitlines() if rss_file.exists() else []
    words = lines[-1].split() if lines else []
    try:
        peak_kib, user, system = int(words[0]), float(words[1]), float(words[2])
    except (IndexError, ValueError):
        peak_kib, user, system = 0, 0.0, 0.0
    return Sample(seconds, peak_kib / 1024, exit_code, user + system)
