"""`netcheck rules --resolve` asks the machine's DNS (here the world's dnsmasq, from ncw-client)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.world import plan
from tests.world.catalogue import REPO
from tests.world.run import clean_env
from tests.world.world import SHIPPED_REGION, SHIPPED_WORKSPACE, World

pytestmark = pytest.mark.world


def rules_in_client(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", plan.CLIENT_NS, sys.executable, "-m", "netcheck", "rules", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=clean_env(),
        timeout=120,
    )


def test_resolve_turns_todays_answers_into_rules(world: World) -> None:
    done = rules_in_client(
        "--region",
        SHIPPED_REGION,
        "--workspace-id",
        SHIPPED_WORKSPACE,
        "--catalogue",
        str(world.shipped_catalogue()),
        "--format",
        "iptables",
        "--resolve",
    )
    assert done.returncode == 0, done.stderr
    rules = [line for line in done.stdout.splitlines() if line.startswith("-A ")]
    # every real name of the world resolves to its healthy server
    assert rules == [f"-A NETCHECK-HRW -d {plan.HEALTHY}/32 -p tcp -m tcp --dport 443 -j ACCEPT"]
    assert "ADDRESSES FROM DNS (--resolve)" in done.stdout
    # wildcards have no answer of their own: named in the header, not silently missing
    assert "*.blob.core.windows.net:443: a wildcard has no addresses of its own" in done.stdout
