"""The netcheck exporter and a real Prometheus, both running inside ncw-client.

Both listen on ncw-client's own loopback, so nothing of them is reachable from the root
namespace or anywhere else; the tests talk to them with curl run inside ncw-client. Each is
a foreground process under `ip netns exec`, stopped by PID (services.Daemon).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.world import plan, services
from tests.world.catalogue import REPO
from tests.world.run import clean_env

EXPORTER_PORT = 10115
PROMETHEUS_PORT = 19090
EXPORTER = f"127.0.0.1:{EXPORTER_PORT}"
EXAMPLES = REPO / "examples" / "prometheus"
READY_SECONDS = 20.0


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    seconds: float


def missing_prometheus() -> str | None:
    missing = [tool for tool in ("prometheus", "promtool", "curl") if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} (Debian: apt-get install prometheus curl)"
    return None


def get(url: str, headers: Mapping[str, str] | None = None, timeout: float = 30.0) -> Reply:
    """GET from inside ncw-client; status 0 when the connection itself failed."""
    argv = ["curl", "-sS", "--max-time", str(timeout), "-o", "-", "-w", "\n%{http_code}"]
    for name, value in (headers or {}).items():
        argv += ["-H", f"{name}: {value}"]
    started = time.monotonic()
    done = subprocess.run(
        ["ip", "netns", "exec", plan.CLIENT_NS, *argv, url],
        capture_output=True,
        text=True,
        timeout=timeout + 10,
    )
    body, _, code = done.stdout.rpartition("\n")
    return Reply(int(code) if code.isdigit() else 0, body, time.monotonic() - started)


def probe_url(region: str = "testland", **params: str) -> str:
    query = urllib.parse.urlencode({"region": region, **params})
    return f"http://{EXPORTER}/probe?{query}"


def get_many(urls: Sequence[str], parallel: int, folder: Path, timeout: float = 60.0) -> list[int]:
    """Every URL once with `curl --parallel` (one process): the status codes, in the order
    the answers came."""
    config = folder / "curl-many.conf"
    config.write_text(
        'write-out = "%{http_code}\\n"\n'
        + "".join(f'url = "{u}"\noutput = "/dev/null"\n' for u in urls)
    )
    done = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            plan.CLIENT_NS,
            "curl",
            "-sS",
            "--parallel",
            # open connections at once rather than wait to see whether one can be shared
            "--parallel-immediate",
            "--parallel-max",
            str(parallel),
            "--max-time",
            str(timeout),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=timeout * len(urls) + 30,
    )
    return [int(line) for line in done.stdout.split() if line.isdigit()]


def samples(text: str, family: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one family in Prometheus text, parsed by prometheus-client's parser."""
    from prometheus_client.parser import text_string_to_metric_families

    found = []
    for parsed in text_string_to_metric_families(text):
        for sample in parsed.samples:
            if sample.name == family:
                found.append((dict(sample.labels), float(sample.value)))
    return found


def value(text: str, family: str, **labels: str) -> float:
    matching = [
        v for ls, v in samples(text, family) if all(ls.get(k) == x for k, x in labels.items())
    ]
    assert len(matching) == 1, f"{family}{labels}: {len(matching)} samples in\n{text[:3000]}"
    return matching[0]


def write_config(path: Path, modules: Mapping[str, Mapping[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"modules": {k: dict(v) for k, v in modules.items()}}))
    return path


def start_exporter(
    name: str,
    config: Path,
    folder: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    port: int = EXPORTER_PORT,
) -> services.Daemon:
    """`netcheck exporter` in ncw-client on 127.0.0.1:port; returns once it answers."""
    log = folder / f"{name}.log"
    argv = [
        "ip", "netns", "exec", plan.CLIENT_NS, sys.executable, "-m", "netcheck", "exporter",
        "--listen", f"127.0.0.1:{port}", "--config", str(config), *args,
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            env={**clean_env(), **(env or {})},
        )
    daemon = services.Daemon(name, process, log)
    _wait(daemon, f"http://127.0.0.1:{port}/metrics")
    return daemon


def prometheus_config(folder: Path, targets: Sequence[Mapping[str, str]], interval: float) -> Path:
    """The example scrape configuration, pointed at the world: its targets and labels
    replaced by `targets` (each a region and the other /probe parameters), the exporter's
    address kept (the world's exporter listens where the example expects it), and short
    intervals. Its rules come along, as the example loads them."""
    config = yaml.safe_load((EXAMPLES / "prometheus.yml").read_text())
    seconds = f"{interval:g}s"
    config["global"].update(scrape_interval=seconds, evaluation_interval=seconds)
    probe_job = next(j for j in config["scrape_configs"] if j["job_name"] == "netcheck")
    probe_job.update(scrape_interval=seconds, scrape_timeout=seconds)
    probe_job["static_configs"] = [
        {
            "targets": [t["region"]],
            "labels": {f"__param_{k}": v for k, v in t.items() if k != "region"},
        }
        for t in targets
    ]
    address_rule = probe_job["relabel_configs"][-1]
    assert address_rule["target_label"] == "__address__", address_rule
    assert address_rule["replacement"] == EXPORTER, "the example and the world disagree"
    for rules in config.get("rule_files", []):
        shutil.copy(EXAMPLES / rules, folder / rules)
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def start_prometheus(config: Path, folder: Path) -> services.Daemon:
    storage = folder / "prometheus-data"
    storage.mkdir(exist_ok=True)
    daemon = services.start(
        "prometheus",
        plan.CLIENT_NS,
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={storage}",
            f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}",
            "--log.level=warn",
        ],
        folder,
    )
    _wait(daemon, f"http://127.0.0.1:{PROMETHEUS_PORT}/-/ready")
    return daemon


def query(promql: str) -> list[dict[str, Any]]:
    """An instant query through Prometheus's HTTP API: the result vector."""
    reply = get(
        f"http://127.0.0.1:{PROMETHEUS_PORT}/api/v1/query?"
        + urllib.parse.urlencode({"query": promql})
    )
    assert reply.status == 200, reply
    answer = json.loads(reply.body)
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def _wait(daemon: services.Daemon, url: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if not daemon.alive():
            raise AssertionError(f"{daemon.name} exited:\n{daemon.log_tail()}")
        if get(url, timeout=2).status == 200:
            return
        time.sleep(0.2)
    daemon.stop()
    raise AssertionError(f"{daemon.name} not ready after {READY_SECONDS}s:\n{daemon.log_tail()}")


def rss_kib(daemon: services.Daemon) -> int:
    """The resident set of the process (ip netns exec execs it: same PID)."""
    for line in Path(f"/proc/{daemon.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {daemon.name}")
