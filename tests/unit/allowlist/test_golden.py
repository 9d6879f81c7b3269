"""Formats with no parser here (az CLI, PowerShell) against reviewed golden files.

After a deliberate change, rewrite them with NETCHECK_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .support import FULL, GOLDEN, TAGS, Netcheck

CASES = {
    "azure-firewall-cli.sh": ["--format", "azure-firewall-cli"],
    "nsg.sh": ["--format", "nsg"],
    "windows-firewall.ps1": ["--format", "windows-firewall", "--service-tags", TAGS],
}
UPDATE = os.environ.get("NETCHECK_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_the_golden_file(netcheck: Netcheck, name: str) -> None:
    out = netcheck.rules(*FULL, *CASES[name])
    path = GOLDEN / name
    if UPDATE:
        path.write_text(out, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with NETCHECK_UPDATE_GOLDEN=1 and review it"
    assert out == path.read_text(encoding="utf-8"), (
        f"{name} changed: if on purpose, rerun with NETCHECK_UPDATE_GOLDEN=1 and review the diff"
    )


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if n.endswith(".sh")])
def test_az_scripts_are_valid_bash(name: str) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed: cannot check the script's syntax")
    done = subprocess.run([bash, "-n", str(GOLDEN / name)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _az_calls(name: str) -> list[list[str]]:
    """Runs a golden script with `az` replaced by a function that prints its arguments."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed: cannot run the script")
    fake = 'az() { printf "%s\\037" "$@"; printf "\\n"; }; export -f az; exec bash "$0"'
    env = {"PATH": os.environ["PATH"], "RESOURCE_GROUP": "rg", "POLICY": "fw", "NSG": "nsg"}
    done = subprocess.run(
        [bash, "-c", fake, str(GOLDEN / name)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return [line.split("\037")[:-1] for line in done.stdout.splitlines()]


def test_the_firewall_script_passes_wildcards_and_sources_literally() -> None:
    calls = _az_calls("azure-firewall-cli.sh")
    assert calls[0][:6] == [
        "network",
        "firewall",
        "policy",
        "rule-collection-group",
        "create",
        "--resource-group",
    ]
    wildcard = next(c for c in calls if "*.azure-automation.net" in c)
    assert wildcard[wildcard.index("--target-fqdns") + 1] == "*.azure-automation.net"
    assert wildcard[wildcard.index("--source-addresses") + 1] == "*"
    assert wildcard[wildcard.index("--rule-collection-group-name") + 1] == "netcheck-hybrid-worker"


def test_the_nsg_script_numbers_its_priorities() -> None:
    calls = _az_calls("nsg.sh")
    assert [c[c.index("--priority") + 1] for c in calls] == ["1000", "1001", "1002"]
    assert all(c[c.index("--source-port-ranges") + 1] == "*" for c in calls)
