"""Round trip: a squid configured only from `netcheck rules --format squid` lets `netcheck check
--proxy` pass for every required endpoint of the shipped catalogue, and denies the rest.

The squid runs in ncw-srv beside tinyproxy, resolving with the world's proxy-view dnsmasq.
"""

from __future__ import annotations

import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.world import plan, services
from tests.world.catalogue import REPO
from tests.world.run import Result, clean_env, codes, run_netcheck, summary, target
from tests.world.world import SHIPPED_REGION, SHIPPED_WORKSPACE, World

pytestmark = pytest.mark.world

SQUID_PORT = 3128  # on the server link's own address, apart from tinyproxy's
SQUID_USER = "proxy"  # Debian's squid drops to this user
# An agent-based worker without Update Management: the Update-Management-only host
# ods.systemcenteradvisor.com is served by the world, but is not in these rules.
SELECTION = ("--region", SHIPPED_REGION, "--workspace-id", SHIPPED_WORKSPACE)
# `check` always probes the port-80 revocation hosts; the rules have them only on request.
RULES_OPTIONS = (*SELECTION, "--include-revocation", "--format", "squid")
OUTSIDE = ("ods.systemcenteradvisor.com", "unrelated.example.org")


def squid_conf(folder: Path, acl_file: Path) -> str:
    return (
        "\n".join(
            [
                f"http_port {plan.SRV_ADDR}:{SQUID_PORT}",
                f"cache_effective_user {SQUID_USER}",
                f"dns_nameservers {plan.DNS_PROXY_VIEW}",
                "hosts_file none",
                f"include {acl_file}",
                "http_access deny all",
                "cache deny all",
                "pid_filename none",
                f"access_log stdio:{folder / 'access.log'}",
                f"cache_log {folder / 'cache.log'}",
                f"coredump_dir {folder}",
                "shutdown_lifetime 0 seconds",
            ]
        )
        + "\n"
    )


@pytest.fixture(scope="module")
def shipped(world: World) -> Path:
    return world.shipped_catalogue()


@pytest.fixture(scope="module")
def squid(world: World, shipped: Path) -> Iterator[tuple[str, Path]]:
    """(proxy URL, log folder) of a squid whose only allow rules are the generated ones."""
    binary = shutil.which("squid")
    if binary is None:
        pytest.skip("squid is not installed (Debian package squid)")
    try:
        user = pwd.getpwnam(SQUID_USER)
    except KeyError:
        pytest.skip(f"squid's user {SQUID_USER!r} does not exist (Debian package squid)")
    generated = subprocess.run(
        [
            sys.executable,
            "-m",
            "netcheck",
            "rules",
            *RULES_OPTIONS,
            "--catalogue",
            str(shipped),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=clean_env(),
        timeout=60,
    )
    assert generated.returncode == 0, generated.stderr
    # squid writes its logs after dropping to its own user: a folder of its own, not pytest's
    folder = Path(tempfile.mkdtemp(prefix="ncr-squid-"))
    try:
        acl_file = folder / "netcheck-hrw.conf"
        acl_file.write_text(generated.stdout)
        conf = folder / "squid.conf"
        conf.write_text(squid_conf(folder, acl_file))
        for path in (folder, acl_file, conf):
            shutil.chown(path, user.pw_uid, user.pw_gid)
        daemon = services.start("squid", plan.SRV_NS, [binary, "-N", "-f", str(conf)], folder)
        try:
            services.wait_until_reachable(
                tcp=[(plan.SRV_ADDR, SQUID_PORT)], dns=[], daemons=[daemon]
            )
            yield f"http://{plan.SRV_ADDR}:{SQUID_PORT}", folder
            assert daemon.alive(), f"squid died during the tests:\n{daemon.log_tail()}"
        finally:
            daemon.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def through_squid(world: World, shipped: Path, squid: tuple[str, Path]) -> Result:
    url, _ = squid
    return run_netcheck(world, *SELECTION, "--catalogue", str(shipped), "--proxy", url)


def test_check_through_the_generated_squid_passes(through_squid: Result) -> None:
    exit_code, report, stderr = through_squid
    bad = [summary(t) for t in report["targets"] if t["status"] in ("fail", "warn")]
    assert not bad, "\n".join(bad)
    assert exit_code == 0, stderr
    assert report["summary"]["status"] == "pass"


def test_every_probed_endpoint_went_through_the_squid(through_squid: Result) -> None:
    probed = [t for t in through_squid.report["targets"] if t["status"] != "skip"]
    real = [t for t in probed if "canary" not in t["host"]]
    https = [t for t in real if t["port"] == 443]
    plain = [t for t in real if t["port"] == 80]
    assert len(https) >= 4 and plain, [f"{t['host']}:{t['port']}" for t in real]
    for entry in https:
        tunnel = entry["observations"]["proxy"]
        assert tunnel is not None and tunnel["status"] == 200, summary(entry)
        assert entry["observations"]["tls"]["outcome"] == "ok", summary(entry)
    for entry in plain:
        # the world's server answers 404 to everything; squid's own refusal would be 403
        assert entry["via_proxy"], summary(entry)
        assert entry["observations"]["http"]["status"] == 404, summary(entry)


def _outside_catalogue(shipped: Path, folder: Path) -> Path:
    """The shipped catalogue (with its minted CAs), its endpoints replaced by OUTSIDE."""
    data: dict[str, Any] = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["endpoints"] = [
        {
            "id": f"outside-{host}",
            "pattern": host,
            "port": 443,
            "purpose": "a destination the generated rules do not allow",
            "deployments": ["agent"],
            "bypass_inspection": False,
            "source": "netcheck rules round-trip test",
        }
        for host in OUTSIDE
    ]
    path = folder / "outside.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_squid_denies_what_the_rules_leave_out(
    world: World, shipped: Path, squid: tuple[str, Path], tmp_path: Path
) -> None:
    url, logs = squid
    outside = _outside_catalogue(shipped, tmp_path)
    exit_code, report, stderr = run_netcheck(
        world, *SELECTION, "--catalogue", str(outside), "--proxy", url
    )
    assert exit_code == 1, stderr
    for host in OUTSIDE:
        entry = target(report, host)
        assert "PROXY_DENIED" in codes(entry), summary(entry)
        assert entry["observations"]["proxy"]["status"] == 403, summary(entry)
        denied = next(f for f in entry["findings"] if f["code"] == "PROXY_DENIED")
        # squid's own deny page names it (X-Squid-Error, ERR_ACCESS_DENIED)
        assert denied["evidence"]["vendor"] == "squid", denied
        assert "ERR_ACCESS_DENIED" in denied["message"], denied
    access = (logs / "access.log").read_text(errors="replace")
    assert "TCP_DENIED/403" in access and "unrelated.example.org:443" in access, access[-2000:]
    # every required target refused the same way: one cause for the run
    cause = report["findings"][0]
    assert cause["code"] == "ROOT_PROXY" and cause["evidence"]["vendor"] == "squid", cause


def test_the_denied_host_works_through_a_proxy_without_those_rules(
    world: World, shipped: Path, tmp_path: Path
) -> None:
    """The control: the world serves ods.systemcenteradvisor.com, so only the ACL denied it."""
    outside = _outside_catalogue(shipped, tmp_path)
    proxy = World.proxy_url(plan.PROXY_USER, plan.PROXY_PASSWORD)
    _, report, _ = run_netcheck(world, *SELECTION, "--catalogue", str(outside), "--proxy", proxy)
    entry = target(report, OUTSIDE[0])
    assert entry["status"] == "pass", summary(entry)
