"""A real fleet run: examples/ansible/fleet-check.yml over SSH against three managed hosts, each
a namespace with its own sshd, host name and network fault, and the merged report it writes.

    hrw-healthy     through tinyproxy with Basic auth; the password comes from Ansible Vault
    hrw-inspected   through mitmdump, an intercepting proxy (TLS_INTERCEPTED by mitmproxy)
    hrw-firewalled  direct, with its own firewall dropping one endpoint (TCP_TIMEOUT)
    hrw-offline     in the inventory, but nothing answers at its address (nodata)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.world import fleet, plan, scenarios
from tests.world.catalogue import REPO
from tests.world.fleet import HostSpec
from tests.world.interceptors import Interceptor
from tests.world.run import clean_env
from tests.world.world import World

pytestmark = pytest.mark.world

PLAYBOOK = REPO / "examples" / "ansible" / "fleet-check.yml"
BIN = Path(sys.executable).parent
DROPPED = scenarios.by_label("inspected-known")  # a genuine server on an address of its own
CHECKED = (*scenarios.GENUINE, DROPPED)
HEALTHY = HostSpec("hrw-healthy", "ncf-h1", "192.0.2.130")
INSPECTED = HostSpec("hrw-inspected", "ncf-h2", "192.0.2.131")
FIREWALLED = HostSpec(
    "hrw-firewalled",
    "ncf-h3",
    "192.0.2.132",
    firewall=(("-d", DROPPED.address or "", "-p", "tcp", "--dport", "443", "-j", "DROP"),),
)
OFFLINE = "hrw-offline"
OFFLINE_ADDRESS = "192.0.2.133"  # on the fleet's LAN, but no namespace holds it
VAULT_PASSWORD = "ncf-vault-pass"


def ansible_tool(name: str) -> str | None:
    """The tool beside this Python (a virtual environment's bin) or on PATH."""
    beside = BIN / name
    return str(beside) if beside.exists() else shutil.which(name)


def missing_ansible() -> str | None:
    if ansible_tool("ansible-playbook") is None:
        return "needs ansible-playbook (pip install ansible-core)"
    return None


@dataclass(frozen=True)
class FleetRun:
    done: subprocess.CompletedProcess[str]
    reports: Path

    def describe(self) -> str:
        return (
            f"exit {self.done.returncode}\nstdout:\n{self.done.stdout[-6000:]}\nstderr:\n"
            + (self.done.stderr[-3000:])
        )

    def merged(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.reports / "fleet.json").read_text())
        return data

    def host(self, name: str) -> dict[str, Any]:
        (entry,) = [h for h in self.merged()["hosts"] if h["name"] == name]
        found: dict[str, Any] = entry
        return found


def source_copy(folder: Path) -> Path:
    """What a wheel is built from, copied: pip builds in the source tree, and a build/ left
    in the repository could carry stale modules into later wheels."""
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    for name in ("netcheck", "data"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    return source


def prefetch_wheels(folder: Path, source: Path) -> Path:
    """netcheck's dependencies and its build backend, fetched in the root namespace (package
    index allowed) for the controller, whose own namespace has no way out: the playbook then
    builds its wheelhouse with --no-index from these, as an offline controller would."""
    wheels = folder / "prefetched"
    for argv in (
        ["wheel", "--quiet", "--wheel-dir", str(wheels), str(source)],
        ["download", "--quiet", "--dest", str(wheels), "setuptools>=77"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "pip", *argv], capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            pytest.skip(f"cannot prefetch wheels (needs a package index): {done.stderr[-500:]}")
    return wheels


def write_inventory(world: World, run: fleet.Fleet, folder: Path) -> Path:
    inventory = folder / "inventory"
    (inventory / "host_vars" / HEALTHY.name).mkdir(parents=True)
    catalogue = world.scenario_catalogue("fleet", CHECKED)

    def home(name: str) -> dict[str, str]:
        return {
            "netcheck_home": str(folder / "hosts" / name),
            "ansible_remote_tmp": str(folder / "hosts" / name / ".ansible-tmp"),
        }

    hosts: dict[str, dict[str, Any]] = {
        HEALTHY.name: {
            "ansible_host": HEALTHY.address,
            "netcheck_proxy": f"http://{plan.PROXY}:{plan.PROXY_PORT}",
            "netcheck_proxy_user": plan.PROXY_USER,
            **home(HEALTHY.name),
        },
        INSPECTED.name: {
            "ansible_host": INSPECTED.address,
            "netcheck_proxy": f"http://{plan.FW_CLIENT_SIDE}:{plan.MITM_KNOWN_PROXY_PORT}",
            **home(INSPECTED.name),
        },
        FIREWALLED.name: {"ansible_host": FIREWALLED.address, **home(FIREWALLED.name)},
        OFFLINE: {"ansible_host": OFFLINE_ADDRESS, **home(OFFLINE)},
    }
    document = {
        "netcheck_workers": {
            "vars": {
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(run.client_key),
                "ansible_ssh_common_args": " ".join(fleet.ssh_options(run.client_key)),
                "ansible_python_interpreter": "/usr/bin/python3",
                "netcheck_region": "testland",
                "netcheck_catalogue": str(catalogue),
                "netcheck_ca_bundle": str(world.ca_bundle),
                "netcheck_timeout": 2,
                "netcheck_python": getattr(sys, "_base_executable", sys.executable),
            },
            "hosts": hosts,
        }
    }
    path = inventory / "hosts.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    vault = inventory / "host_vars" / HEALTHY.name / "vault.yml"
    vault.write_text(yaml.safe_dump({"netcheck_proxy_password": plan.PROXY_PASSWORD}))
    subprocess.run(
        [ansible_tool("ansible-vault") or "ansible-vault", "encrypt", "--vault-password-file",
         str(folder / "vault-password"), str(vault)],
        check=True, capture_output=True, env=ansible_env(folder),
    )  # fmt: skip
    assert plan.PROXY_PASSWORD not in vault.read_text()
    return path


def control_path_dir() -> Path:
    """Where ssh keeps its connection sockets: short, as a unix socket path is (108 bytes)."""
    return Path(f"/tmp/ncf-cp-{os.getpid()}")


def ansible_env(folder: Path) -> dict[str, str]:
    control = control_path_dir()
    control.mkdir(exist_ok=True)
    return {
        **clean_env(),
        "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "ANSIBLE_HOME": str(folder / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(folder / "ansible-local"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_TIMEOUT": "5",
        "ANSIBLE_LOG_PATH": str(folder / "ansible.log"),  # the same output, with times
    }


@pytest.fixture(scope="module")
def fleet_run(
    world: World, mitm_known: Interceptor, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FleetRun]:
    missing = missing_ansible() or fleet.missing_prerequisites()
    if missing:
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("fleet")
    started = time.monotonic()
    source = source_copy(folder)
    wheels = prefetch_wheels(folder, source)
    prefetched = time.monotonic()
    (folder / "vault-password").write_text(VAULT_PASSWORD + "\n")
    try:
        with fleet.running_fleet((HEALTHY, INSPECTED, FIREWALLED), folder) as running:
            done = run_playbook(world, running, folder, source, wheels)
            sys.stderr.write(
                f"\n[fleet run: wheels prefetched in {prefetched - started:.1f}s, playbook done "
                f"{time.monotonic() - prefetched:.1f}s later; log {folder / 'ansible.log'}]\n"
            )
            yield FleetRun(done, folder / "reports")
    finally:
        # ssh's control masters lived in ncf-ctl and went with it; their sockets remain
        shutil.rmtree(control_path_dir(), ignore_errors=True)


def run_playbook(
    world: World, running: fleet.Fleet, folder: Path, source: Path, wheels: Path
) -> subprocess.CompletedProcess[str]:
    """examples/ansible/fleet-check.yml, run by ansible-playbook in the controller namespace."""
    inventory = write_inventory(world, running, folder)
    controller = folder / "controller.yml"
    controller.write_text(
        yaml.safe_dump(
            {
                "netcheck_wheelhouse": str(folder / "wheelhouse"),
                "netcheck_reports_dir": str(folder / "reports"),
                "netcheck_pip_args": ["--no-index", "--find-links", str(wheels)],
                "netcheck_controller_netcheck": [sys.executable, "-m", "netcheck"],
                "netcheck_source": str(source),
            }
        )
    )
    return subprocess.run(
        ["ip", "netns", "exec", fleet.CTL_NS, ansible_tool("ansible-playbook") or "",
         "-i", str(inventory), str(PLAYBOOK), "--vault-password-file",
         str(folder / "vault-password"), "-e", f"@{controller}"],
        capture_output=True, text=True, timeout=600, cwd=folder,
        env=ansible_env(folder), stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_playbook_runs_every_reachable_host(fleet_run: FleetRun) -> None:
    # ansible-playbook exits 4 when a host is unreachable: hrw-offline, and only it
    assert fleet_run.done.returncode == 4, fleet_run.describe()
    recap = fleet_run.done.stdout.split("PLAY RECAP", 1)[1]
    for spec in (HEALTHY, INSPECTED, FIREWALLED):
        line = next(ln for ln in recap.splitlines() if ln.startswith(spec.name))
        assert "unreachable=0" in line and "failed=0" in line, fleet_run.describe()
    offline = next(ln for ln in recap.splitlines() if ln.startswith(OFFLINE))
    assert "unreachable=1" in offline, offline
    assert "localhost" in recap


def test_each_report_names_the_host_it_ran_on(fleet_run: FleetRun) -> None:
    for spec in (HEALTHY, INSPECTED, FIREWALLED):
        report = json.loads((fleet_run.reports / "hosts" / f"{spec.name}.json").read_text())
        origin = report["origin"]
        assert origin["hostname"] == spec.name
        assert spec.address in origin["addresses"]
        assert origin["os"]["system"] == "Linux"
        assert origin["netcheck_version"] == report["tool"]["version"]


def test_the_merged_report_names_each_hosts_fault(fleet_run: FleetRun) -> None:
    merged = fleet_run.merged()
    statuses = {h["name"]: h["status"] for h in merged["hosts"]}
    assert statuses == {
        HEALTHY.name: "pass",
        INSPECTED.name: "fail",
        FIREWALLED.name: "fail",
        OFFLINE: "nodata",
    }, json.dumps(merged["hosts"], indent=1)[:4000]
    checked = {s.host for s in CHECKED}

    inspected = fleet_run.host(INSPECTED.name)
    assert {f["target"] for f in inspected["findings"] if f["code"] == "TLS_INTERCEPTED"} == checked
    firewalled = fleet_run.host(FIREWALLED.name)
    failing = [f for f in firewalled["findings"] if f["severity"] == "fail"]
    assert [(f["target"], f["code"]) for f in failing] == [(DROPPED.host, "TCP_TIMEOUT")]
    assert fleet_run.host(OFFLINE)["reason"].startswith("no report received")

    causes = {(c["code"], c["detail"]): c for c in merged["causes"]}
    intercepted = causes[("TLS_INTERCEPTED", "mitmproxy")]
    assert intercepted["hosts"] == [INSPECTED.name]
    assert intercepted["text"] == "TLS_INTERCEPTED by mitmproxy on 1 of 4 hosts"
    assert causes[("TCP_TIMEOUT", None)]["targets"] == [DROPPED.host]


def test_the_vault_password_reached_the_proxy_and_nothing_else(fleet_run: FleetRun) -> None:
    healthy = json.loads((fleet_run.reports / "hosts" / f"{HEALTHY.name}.json").read_text())
    # tinyproxy demands Basic auth: a pass through it proves the password arrived
    assert healthy["options"]["proxy"] == f"http://{plan.PROXY_USER}:***@{plan.PROXY}:3128"
    assert healthy["summary"]["status"] == "pass"
    written = [p.read_text(errors="replace") for p in fleet_run.reports.rglob("*") if p.is_file()]
    for text in (fleet_run.done.stdout, fleet_run.done.stderr, *written):
        assert plan.PROXY_PASSWORD not in text


def test_the_controller_wrote_html_junit_and_a_short_summary(fleet_run: FleetRun) -> None:
    page = (fleet_run.reports / "fleet.html").read_text()
    assert page.count('<tr class="host"') == 4
    suites = ET.parse(fleet_run.reports / "fleet.xml").getroot().findall("testsuite")
    assert sorted(s.get("name") or "" for s in suites) == sorted(
        [HEALTHY.name, INSPECTED.name, FIREWALLED.name, OFFLINE]
    )
    assert "netcheck fleet FAIL: 4 hosts (2 fail, 1 nodata, 1 pass)" in fleet_run.done.stdout
