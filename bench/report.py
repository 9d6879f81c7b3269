"""Writes RESULTS.md: the machine, the targets as ratios of this run, every median."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.measure import Case
from bench.timeline import Traced

REPO = Path(__file__).resolve().parents[1]
# Everything below this line in RESULTS.md is written by people and kept on every rerun.
ANALYSIS_MARK = "<!-- analysis: written by hand, kept when bench/run.py rewrites the file -->"


@dataclass(frozen=True)
class Machine:
    cpus: int
    memory_gib: float
    kernel: str
    python: str
    openssl: str
    curl: str
    sslyze: str
    load_average: str
    commit: str


def _first_line(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return "not installed"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def machine(sslyze: Path | None) -> Machine:
    meminfo = Path("/proc/meminfo").read_text().split()
    memory_kib = int(meminfo[meminfo.index("MemTotal:") + 1])
    sslyze_version = (
        _first_line(
            [
                str(sslyze.parent / "python"),
                "-c",
                "import importlib.metadata as m; print(m.version('sslyze'))",
            ]
        )
        if sslyze is not None
        else "not installed"
    )
    return Machine(
        cpus=os.cpu_count() or 0,
        memory_gib=memory_kib / 1024 / 1024,
        kernel=platform.release(),
        python=platform.python_version(),
        openssl=_first_line(["openssl", "version"]),
        curl=_first_line(["curl", "--version"]).split(" (")[0],
        sslyze=sslyze_version,
        load_average=" ".join(f"{x:.2f}" for x in os.getloadavg()),
        commit=_first_line(["git", "-C", str(REPO), "describe", "--always", "--dirty"]),
    )


@dataclass(frozen=True)
class Target:
    what: str
    measured: str
    limit: str
    met: bool


def targets(by_key: dict[str, Case], concurrency_option: bool) -> list[Target]:
    """The targets netcheck holds itself to, each a ratio or a bound within this one run."""

    def median(key: str) -> float:
        return by_key[key].median

    def ratio(
        what: str, top: str, bottom: str, limit: float, ok: Callable[[float], bool]
    ) -> Target:
        value = median(top) / median(bottom)
        shown = f"{value:.2f}x ({median(top):.3f} s / {median(bottom):.3f} s)"
        return Target(what, shown, f"{limit:g}x", ok(value))

    def bound(what: str, key: str, limit: float) -> Target:
        return Target(what, f"{median(key):.3f} s", f"{limit:g} s", median(key) <= limit)

    rss_1, rss_50 = by_key["netcheck-1"].peak_rss_mb, by_key["netcheck-50"].peak_rss_mb
    big = by_key["netcheck-all-ids"]
    per_target_small = (rss_50 - rss_1) / 49
    per_target_big = (big.peak_rss_mb - rss_50) / ((big.targets or 51) - 50)
    found = [
        ratio(
            "50 targets: netcheck / curl --parallel",
            "netcheck-50",
            "curl-parallel-50",
            1.5,
            lambda v: v <= 1.5,
        ),
        ratio(
            "50 targets: openssl loop / netcheck",
            "openssl-50",
            "netcheck-50",
            20,
            lambda v: v >= 20,
        ),
        ratio(
            "all regions / one target",
            "netcheck-all",
            "netcheck-1",
            3,
            lambda v: v < 3,
        ),
        ratio(
            "all regions with IDs / one target",
            "netcheck-all-ids",
            "netcheck-1",
            3,
            lambda v: v < 3,
        ),
        ratio(
            "default check: exporter /probe / curl --parallel over the same hosts",
            "exporter-probe",
            "curl-parallel-default",
            1.15,
            lambda v: v <= 1.15,
        ),
        bound("50 targets blackholed, --timeout 3", "blackholed-50", 4.5),
        bound("all regions blackholed, --timeout 3", "blackholed-all", 4.5),
        bound(
            "all regions blackholed, --timeout 3 --concurrency 256 (no queue)",
            "blackholed-all-wide",
            4.5,
        ),
        bound("50 targets, endpoints and resolver blackholed, --timeout 3", "silent-50", 4.5),
        ratio("--version / python -c pass", "version", "bare", 3, lambda v: v < 3),
        ratio("--help / python -c pass", "help", "bare", 3, lambda v: v < 3),
        Target("peak RSS, 50 targets", f"{rss_50:.1f} MB", "80 MB", rss_50 < 80),
        Target(
            "RSS growth per target: 1 to 50, then 50 to all regions with IDs",
            f"{per_target_small * 1024:.0f} KiB, then {per_target_big * 1024:.0f} KiB",
            "no worse than linear",
            per_target_big <= max(per_target_small, 0.0) * 1.25 + 0.05,
        ),
        Target(
            "default check: CPU (user + system), no delay",
            f"{by_key['netcheck-default-undelayed'].cpu:.3f} s",
            "0.35 s",
            by_key["netcheck-default-undelayed"].cpu <= 0.35,
        ),
        ratio(
            "default check: netcheck / curl --parallel (same hosts and schemes)",
            "netcheck-default",
            "curl-parallel-default",
            1.3,
            lambda v: v <= 1.3,
        ),
        ratio(
            "all regions with IDs: netcheck / curl --parallel (same hosts)",
            "netcheck-all-ids",
            "curl-parallel-all-ids",
            1.3,
            lambda v: v <= 1.3,
        ),
        Target(
            "a concurrency limit option",
            "--concurrency" if concurrency_option else "none",
            "exists",
            concurrency_option,
        ),
    ]
    return found


def _seconds(values: Sequence[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.3f}" if known else "-"


def timeline_rows(traced: Sequence[Traced]) -> list[str]:
    """The packet timelines (bench/timeline.py): medians over the rounds."""
    lines = [
        "| command | first DNS query after spawn, s | queries in the first wave "
        "| last answer, s | exit, s | exit after the last answer, s |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for case in traced:
        runs = case.samples
        waves = ", ".join(f"{t.queries_before_first_answer}/{t.queries}" for t in runs)
        every = "all, every run" if runs and all(t.one_wave for t in runs) else "**not all**"
        lines.append(
            f"| {case.tool} | {_seconds([t.first_query for t in runs])} | {every} ({waves}) "
            f"| {_seconds([t.last_answer for t in runs])} | {_seconds([t.exited for t in runs])} "
            f"| {_seconds([t.after_last_answer for t in runs])} |"
        )
    return lines


def render(
    cases: Sequence[Case],
    traced: Sequence[Traced],
    machine: Machine,
    rtt_ms: float,
    runs: int,
    command: str,
    concurrency_option: bool,
) -> str:
    by_key = {c.key: c for c in cases}
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` (as root) on {now}, netcheck at `{machine.commit}`.",
        f"Every number is a whole process from spawn to exit, the median of {runs} rounds; each",
        "round runs every command once, interleaved. The world (bench/README.md) delays every",
        f"packet 50 ms each way in the router: a measured round trip of {rtt_ms:.0f} ms.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPUs (nproc) | {machine.cpus} |",
        f"| memory | {machine.memory_gib:.1f} GiB |",
        f"| kernel | {machine.kernel} |",
        f"| Python | {machine.python} |",
        f"| OpenSSL | {machine.openssl} |",
        f"| curl | {machine.curl} |",
        f"| sslyze | {machine.sslyze} |",
        f"| load average at start | {machine.load_average} |",
        "",
        "## Targets, as ratios within this run",
        "",
        "| target | measured | limit | met |",
        "|---|---|---|---|",
    ]
    for t in targets(by_key, concurrency_option):
        lines.append(f"| {t.what} | {t.measured} | {t.limit} | {'yes' if t.met else '**no**'} |")
    lines += [
        "",
        "## Timelines, as the router saw the packets",
        "",
        "One extra run of each command per round, captured with tcpdump on the router's",
        "client-side interface (bench/README.md): a query counts in the first wave when it left",
        "before the first DNS answer came back; the last answer is the last packet with a",
        "payload that reached the client.",
        "",
        *timeline_rows(traced),
        "",
        "## Every measurement",
        "",
        "| workload | tool | targets | median s | min-max s | CPU s | peak RSS MB | exit codes |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in cases:
        lines.append(
            f"| {c.group} | {c.tool} | {c.targets if c.targets is not None else ''} "
            f"| {c.median:.3f} | {c.low:.3f}-{c.high:.3f} | {c.cpu:.3f} | {c.peak_rss_mb:.1f} "
            f"| {c.exit_codes} |"
        )
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    """Replace the generated part of `path`, keeping the analysis below ANALYSIS_MARK."""
    kept = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        if ANALYSIS_MARK in old:
            kept = old[old.index(ANALYSIS_MARK) :]
    path.write_text(text + "\n" + (kept or ANALYSIS_MARK + "\n"), encoding="utf-8")
