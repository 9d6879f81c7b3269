"""Output on Windows consoles and files: a legacy code page never ends a run in exit 3, and
--output files are UTF-8 with LF line ends on every platform."""

from __future__ import annotations

import io
import os
import pathlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..conftest import Netcheck


def test_a_cp1252_pipe_and_a_log_that_is_not_utf8_still_give_the_report(tmp_path: Path) -> None:
    """Fails on the code before issue 10: stdout redirected with a legacy code page (a
    pipeline agent, `| Out-File`) raised UnicodeEncodeError on the quoted log line: exit 3."""
    log = tmp_path / "HybridWorkerExtensionLogs" / "SME.log"
    log.parent.mkdir()
    log.write_bytes(
        # cp850 bytes from a German server (not UTF-8), then a UTF-8 line cp1252 cannot show
        "2025-03-01 10:00:00 Verbindung über Proxy fehlgeschlagen: 407 Proxy Authentication "
        "Required\r\n".encode("cp850")
        + "2025-03-01 10:00:01 прокси: 407 Proxy Authentication Required ✓\r\n".encode()
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NETCHECK_") and k.lower() not in ("https_proxy", "no_proxy")
    }
    env["PYTHONIOENCODING"] = "cp1252"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "netcheck",
            "diagnose",
            "--root",
            str(tmp_path),
            "--dns-server",
            "127.0.0.1",
            "--timeout",
            "0.3",
        ],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr.decode("cp1252", errors="replace")
    out = done.stdout.decode("cp1252")
    assert "LOG_PROXY_ERROR" in out and "DIAGNOSIS" in out
    assert "?" in out  # the characters cp1252 lacks, replaced


def windows_text_mode(
    self: pathlib.Path,
    mode: str = "r",
    buffering: int = -1,
    encoding: Any = None,
    errors: Any = None,
    newline: Any = None,
) -> Any:
    """Path.open as on Windows: text mode without newline= writes each LF as CRLF
    (https://docs.python.org/3/library/functions.html#open, newline=None)."""
    if "b" not in mode and newline is None:
        newline = "\r\n"
    return io.open(self, mode, buffering, encoding, errors, newline)  # noqa: UP020


@pytest.mark.parametrize(
    "args",
    [
        ("rules", "-r", "westeurope", "--format", "azure-firewall-cli"),
        ("rules", "-r", "westeurope", "--format", "squid"),
        ("check", "-r", "westeurope", "--dns-server", "127.0.0.1", "--timeout", "0.3"),
    ],
)
def test_output_files_have_lf_line_ends_on_windows_too(
    netcheck: Netcheck, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Fails on the code before issue 10: write_text in Windows' text mode wrote CRLF, and a
    shell script with CRLF breaks in Cloud Shell."""
    monkeypatch.setattr(pathlib.Path, "open", windows_text_mode)
    output = tmp_path / "out.txt"
    run = netcheck(*args, "--output", str(output))
    assert run.code in (0, 1), run.err  # check: every probe fails on loopback
    data = output.read_bytes()
    assert b"\n" in data and b"\r\n" not in data
    data.decode("utf-8")  # UTF-8, whatever the platform's code page
