"""Benchmark of `netcheck report merge` on a large fleet (issue 12): 2,000 host reports.

    python bench/fleet.py [--hosts 2000] [--keep]      (no root, no network)

Writes the reports from the three recorded in tests/unit/data/fleet/ (a healthy host, an
intercepted one, one with an endpoint dropped), each widened to 16 targets as a real check of
one region is, with some broken files and duplicates among them; times each merge format as a
whole process and records its peak RSS, then rewrites its own section of bench/RESULTS.md.
It reports and never fails on a missed target; it is not a test and CI never runs it.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO / "tests" / "unit" / "data" / "fleet"
RESULTS = REPO / "bench" / "RESULTS.md"
BEGIN = "<!-- fleet: written by bench/fleet.py, replaced on every run -->"
END = "<!-- /fleet -->"
TIME_LIMIT_S = 10.0
RSS_LIMIT_MB = 300.0
SUMMARY_LIMIT = 4096
COPIES = 4  # each recorded report has 4 targets: 16, as a real check of one region
# Out of every 100 hosts: intercepted, firewalled, a broken file, a second (older) report.
INTERCEPTED, FIREWALLED, BROKEN, DUPLICATE = range(0, 15), range(15, 25), range(25, 28), (30,)


@dataclass(frozen=True)
class Timing:
    fmt: str
    seconds: float
    peak_rss_mb: float
    exit_code: int
    output_bytes: int


def widened(report: dict[str, Any], copies: int) -> dict[str, Any]:
    """The report with every target repeated under other names (findings included)."""
    wide = copy.deepcopy(report)
    wide["targets"] = []
    for n in range(copies):
        for entry in report["targets"]:
            twin = copy.deepcopy(entry)
            twin["host"] = entry["host"].replace(".tl.", f".r{n}.", 1)
            for found in twin["findings"]:
                found["message"] = found["message"].replace(entry["host"], twin["host"])
            wide["targets"].append(twin)
    return wide


def write_fleet(folder: Path, hosts: int) -> dict[str, int]:
    templates = {
        name: widened(json.loads((RECORDED / f"{name}.json").read_text()), COPIES)
        for name in ("hrw-healthy", "hrw-inspected", "hrw-firewalled")
    }
    written = {"reports": 0, "broken": 0, "duplicates": 0, "bytes": 0}
    for i in range(hosts):
        kind = (
            "hrw-inspected"
            if i % 100 in INTERCEPTED
            else "hrw-firewalled"
            if i % 100 in FIREWALLED
            else "hrw-healthy"
        )
        doc = copy.deepcopy(templates[kind])
        name = f"hrw-{i:05d}"
        doc["origin"]["hostname"] = name
        text = json.dumps(doc, indent=2)
        if i % 100 in BROKEN:
            text = text[: len(text) // 2]  # cut short, as a copy that died half way
            written["broken"] += 1
        path = folder / f"{name}.json"
        path.write_text(text)
        written["reports"] += 1
        written["bytes"] += len(text)
        if i % 100 in DUPLICATE:
            doc["generated_at"] = "2020-01-01T00:00:00+00:00"
            (folder / f"{name}.old.json").write_text(json.dumps(doc, indent=2))
            written["duplicates"] += 1
    return written


def time_merge(folder: Path, fmt: str, out: Path) -> Timing:
    """One `netcheck report merge` as a whole process: wall time and its own peak RSS."""
    argv = [sys.executable, "-m", "netcheck", "report", "merge", str(folder), "--format", fmt,
            "--output", str(out)]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Timing(fmt, seconds, usage.ru_maxrss / 1024, process.returncode, out.stat().st_size)


def section(hosts: int, written: dict[str, int], timings: Sequence[Timing]) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()
    json_run = next(t for t in timings if t.fmt == "json")
    summary = next(t for t in timings if t.fmt == "summary")
    met = {
        "time": json_run.seconds <= TIME_LIMIT_S,
        "rss": json_run.peak_rss_mb <= RSS_LIMIT_MB,
        "summary": summary.output_bytes <= SUMMARY_LIMIT,
    }
    lines = [
        BEGIN,
        "## Fleet merge (issue 12), `python bench/fleet.py`",
        "",
        f"Run on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, netcheck at `{commit}`, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs. {hosts} hosts: "
        f"{written['reports']} report files of 16 targets each ({written['bytes'] / 1e6:.0f} MB "
        f"of JSON), {written['broken']} of them cut short, plus {written['duplicates']} older "
        "duplicates. Each merge is one whole process.",
        "",
        "| target | measured | limit | met |",
        "|---|---|---|---|",
        f"| merge {hosts} reports (`--format json`) | {json_run.seconds:.2f} s | "
        f"{TIME_LIMIT_S:.0f} s | {'yes' if met['time'] else 'NO'} |",
        f"| its peak RSS | {json_run.peak_rss_mb:.0f} MB | {RSS_LIMIT_MB:.0f} MB | "
        f"{'yes' if met['rss'] else 'NO'} |",
        f"| `--format summary` of {hosts} hosts | {summary.output_bytes} bytes | "
        f"{SUMMARY_LIMIT} bytes | {'yes' if met['summary'] else 'NO'} |",
        "",
        "| format | seconds | peak RSS MB | output bytes | exit code |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {t.fmt} | {t.seconds:.2f} | {t.peak_rss_mb:.0f} | {t.output_bytes} | "
            f"{t.exit_code} |"
            for t in timings
        ),
        END,
    ]
    return "\n".join(lines) + "\n"


def record(text: str) -> None:
    """Replace this benchmark's section of RESULTS.md (below bench/run.py's analysis mark, so
    that run.py keeps it), or append it."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END) + 1 :]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(new, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="keep the generated reports")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="netcheck-fleet-bench-"))
    try:
        reports = folder / "reports"
        reports.mkdir()
        written = write_fleet(reports, args.hosts)
        timings = [
            time_merge(reports, fmt, folder / f"merged.{fmt}")
            for fmt in ("json", "summary", "table", "markdown", "junit", "html")
        ]
        text = section(args.hosts, written, timings)
        record(text)
        sys.stdout.write(text)
        sys.stdout.write((folder / "merged.summary").read_text())
    finally:
        if args.keep:
            sys.stderr.write(f"kept {folder}\n")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
