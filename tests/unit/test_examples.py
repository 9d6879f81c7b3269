"""The recipes in examples/ run as documented."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from netcheck.catalogue import load_catalogue
from netcheck.expand import Selection, deployments_for, expand, find_region

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ACCOUNT = "4f3e2d1c-0b9a-8765-4321-0fedcba98765"


def test_add_region_writes_a_catalogue_check_can_use(tmp_path: Path) -> None:
    output = tmp_path / "my-regions.yaml"
    subprocess.run(
        [sys.executable, str(EXAMPLES / "add-region.py"), "swedencentral", "sec", str(output)],
        check=True,
        capture_output=True,
    )
    catalogue = load_catalogue(str(output))
    region = find_region(catalogue, "swedencentral")
    assert region.code == "sec"
    selection = Selection(region, deployments_for(None, ACCOUNT, False), account_id=ACCOUNT)
    hosts = {t.host for t in expand(catalogue, selection) if t.skip_reason is None}
    assert f"{ACCOUNT}.jrds.sec.azure-automation.net" in hosts
    # Microsoft's CAs came along, so TLS can still be judged
    assert catalogue.authorities


def test_add_region_describes_a_region_the_catalogue_lacks(tmp_path: Path) -> None:
    output = tmp_path / "my-regions.yaml"
    subprocess.run(
        [sys.executable, str(EXAMPLES / "add-region.py"), "atlantiscentral", "atc", str(output)],
        check=True,
        capture_output=True,
    )
    assert find_region(load_catalogue(str(output)), "atc").name == "atlantiscentral"


def test_shell_recipe_parses() -> None:
    subprocess.run(["bash", "-n", str(EXAMPLES / "check-through-proxy.sh")], check=True)


def test_pipeline_recipes_are_yaml_that_runs_netcheck_check() -> None:
    for name in ("github-actions-predeploy.yml", "azure-pipelines-predeploy.yml"):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        assert yaml.safe_load(text)
        assert "netcheck check" in text and "junit" in text


def test_the_ansible_playbook_and_its_windows_tasks_pass_the_syntax_check(tmp_path: Path) -> None:
    """The Windows tasks cannot run here; the syntax check reads them (they are imported
    statically) and resolves every ansible.windows module they use."""
    beside = Path(sys.executable).parent / "ansible-playbook"
    playbook = str(beside) if beside.exists() else shutil.which("ansible-playbook")
    if playbook is None:
        pytest.skip("needs ansible-playbook (pip install ansible-core)")
    folder = EXAMPLES / "ansible"
    done = subprocess.run(
        [playbook, "--syntax-check", "-i", str(folder / "inventory.example.yml"),
         str(folder / "fleet-check.yml")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "ANSIBLE_HOME": str(tmp_path), "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    if "couldn't resolve module/action 'ansible.windows." in done.stderr:
        pytest.skip("needs the ansible.windows collection (pip install ansible)")
    assert done.returncode == 0, done.stdout + done.stderr
    windows = (folder / "roles" / "netcheck" / "tasks" / "windows.yml").read_text()
    assert "ansible.windows.win_command" in windows and "no_log: true" in windows


PROMETHEUS = EXAMPLES / "prometheus"
needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="needs promtool (Debian: apt-get install prometheus)"
)


@needs_promtool
@pytest.mark.parametrize(
    "check",
    [
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "netcheck-rules.yml"],
        ["test", "rules", "netcheck-rules.test.yml"],
    ],
)
def test_promtool_accepts_the_prometheus_examples(check: list[str]) -> None:
    done = subprocess.run(["promtool", *check], cwd=PROMETHEUS, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_scrape_example_uses_the_exporters_default_port_and_parameters() -> None:
    from netcheck.cli.exporter import DEFAULT_LISTEN
    from netcheck.exporter.request import PARAMETERS

    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    probe = jobs["netcheck"]
    assert probe["metrics_path"] == "/probe"
    assert probe["relabel_configs"][-1]["replacement"] == DEFAULT_LISTEN
    assert jobs["netcheck_exporter"]["static_configs"][0]["targets"] == [DEFAULT_LISTEN]
    for group in probe["static_configs"]:
        for label in group["labels"]:
            assert label.removeprefix("__param_") in PARAMETERS, label


def test_the_systemd_unit_runs_the_exporter_on_its_default_address() -> None:
    from netcheck.cli.exporter import DEFAULT_LISTEN

    unit = (PROMETHEUS / "netcheck-exporter.service").read_text()
    start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert " exporter --config " in start and start.endswith(f"--listen {DEFAULT_LISTEN}")
    assert "KillSignal=SIGTERM" in unit
