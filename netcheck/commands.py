"""Runs the few local commands netcheck needs (systemctl, sc, wevtutil, security); never over a
network. Windows console output is decoded with the OEM code page, whatever the language."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Completed:
    """A command that ran: its exit status (sc and wevtutil report failures by number) and
    its stdout, decoded."""

    returncode: int
    stdout: str


# Discovery takes a Runner so that tests can answer with recorded output; None: the command
# could not be run at all.
Runner = Callable[[Sequence[str]], "Completed | None"]


def console_encoding(platform: str = sys.platform) -> str:
    """How console programs encode what they print: on Windows the OEM code page (cp850 on a
    German or French server, cp437 on an English one), elsewhere UTF-8."""
    if platform != "win32":
        return "utf-8"
    import ctypes

    # windll exists only on Windows; this branch runs only there.
    return f"cp{ctypes.windll.kernel32.GetOEMCP()}"  # type: ignore[attr-defined]


def decode_console(data: bytes, encoding: str) -> str:
    """Bytes a console program printed, as text; an unknown code page falls back to UTF-8 and
    undecodable bytes are replaced, never raised."""
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def run_command(
    argv: Sequence[str], encoding: str = "utf-8", timeout: float = 15.0
) -> Completed | None:
    """`argv`'s exit status and stdout, whatever the status (sc and systemctl report states
    that way)."""
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
    return Completed(done.returncode, decode_console(done.stdout, encoding))
