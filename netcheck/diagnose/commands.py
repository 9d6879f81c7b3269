"""Runs the few local commands diagnose needs (systemctl, sc, reg, netsh); never over a network."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence

# What a command printed on stdout, or None when it could not be run at all. Discovery takes a
# Runner so that tests can answer with recorded output.
Runner = Callable[[Sequence[str]], "str | None"]


def run_command(argv: Sequence[str], timeout: float = 15.0) -> str | None:
    """stdout of `argv` whatever its exit status (sc and systemctl report states that way)."""
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", errors="replace")
