"""`netcheck diagnose` end to end on fabricated installs, every packet kept on loopback: the
configured proxy is a closed loopback port and DNS goes to 127.0.0.1."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from ..conftest import Netcheck
from .builders import EVENT_4502, WORKER_LOG, WORKSPACE, HostBuilder

PROXY_SECRET = "Diag-Pr0xy-S3cret"
KEY_SECRET = "DIYKEYSECRET"


@pytest.fixture
def broken_worker(tmp_path: Path, closed_port: int) -> Path:
    """An agent-based worker whose configured proxy is down, with a 4502 line in its log."""
    root = tmp_path / "host"
    HostBuilder(root).machine("ubuntu", "18.04", "Ubuntu 18.04.6 LTS").agent_based(
        proxy=f"http://svc:{PROXY_SECRET}@127.0.0.1:{closed_port}"
    ).log(WORKER_LOG, "2025-03-01 10:00:05 [ERROR] " + EVENT_4502.format(ws=WORKSPACE))
    return root


LOOPBACK = ("--dns-server", "127.0.0.1", "--timeout", "0.3")


def test_diagnose_through_the_configured_proxy(netcheck: Netcheck, broken_worker: Path) -> None:
    run = netcheck("diagnose", "--root", str(broken_worker), *LOOPBACK, "--format", "json")
    assert run.code == 1, run.err
    assert PROXY_SECRET not in run.out + run.err
    report = json.loads(run.out)
    assert report["schema"] == "netcheck.report/1"  # check's contract, extended
    assert report["options"]["region"] == "westeurope"
    assert report["options"]["workspace_id"] == WORKSPACE
    assert report["options"]["proxy"].startswith("http://svc:***@127.0.0.1:")
    assert report["targets"] and report["summary"]["status"] == "fail"
    # One cause for the whole run, ranked first; the per-endpoint failures follow it.
    first, second = report["diagnosis"][:2]
    assert first["rank"] == 1 and first["code"] == "ROOT_PROXY"
    assert "/etc/opt/microsoft/omsagent/proxy.conf" in first["summary"]
    assert second["code"] == "PROXY_UNREACHABLE"
    assert report["summary"]["cause"] == "ROOT_PROXY"
    codes = [c["code"] for c in report["diagnosis"]]
    assert {"LOG_TLS_INTERCEPTION", "AGENT_BASED_RETIRED"} <= set(codes)
    agent = report["agent"]
    assert agent["region"] == "westeurope" and agent["workspace_id"] == WORKSPACE
    assert agent["proxy"]["used"]["location"] == "/etc/opt/microsoft/omsagent/proxy.conf"
    assert agent["workers"][0]["kind"] == "agent-based-linux"
    assert agent["logs"]["scanned"] == [WORKER_LOG]
    assert report["host"]["os"]["id"] == "ubuntu"
    assert report["host"]["supported_for"] == ["extension-based", "agent-based"]


def test_proxy_option_overrides_the_configured_one(
    netcheck: Netcheck, broken_worker: Path, closed_port: int
) -> None:
    other = f"http://127.0.0.1:{closed_port}"
    run = netcheck(
        "diagnose", "--root", str(broken_worker), *LOOPBACK, "--proxy", other, "--format", "json"
    )
    proxy = json.loads(run.out)["agent"]["proxy"]
    assert proxy["used"]["source"] == "--proxy"
    assert [c["source"] for c in proxy["candidates"]] == ["--proxy", "omsagent proxy.conf"]


def test_nothing_installed_still_reports_the_host(netcheck: Netcheck, tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine(cores=1)
    run = netcheck("diagnose", "--root", str(tmp_path), *LOOPBACK, "--format", "json")
    assert run.code == 0, run.err  # warnings only: nothing failed
    report = json.loads(run.out)
    assert report["targets"] == [] and report["agent"]["workers"] == []
    assert report["options"]["not_probed"]
    assert [c["code"] for c in report["diagnosis"]] == [
        "AGENT_NOT_INSTALLED",
        "AGENT_REGION_UNKNOWN",
        "HOST_CPU_LOW",
    ]
    assert report["host"]["cpu_cores"] == 1


@pytest.mark.parametrize("fmt", ["table", "markdown", "junit"])
def test_every_format_renders(netcheck: Netcheck, broken_worker: Path, fmt: str) -> None:
    run = netcheck("diagnose", "--root", str(broken_worker), *LOOPBACK, "--format", fmt)
    assert run.code == 1, run.err
    assert PROXY_SECRET not in run.out
    if fmt == "junit":
        suites = ET.fromstring(run.out)
        assert [s.get("name") for s in suites] == ["netcheck", "netcheck.diagnose"]
    else:
        assert "PROXY_UNREACHABLE" in run.out and "proxy.conf" in run.out


def test_table_starts_with_the_diagnosis(netcheck: Netcheck, broken_worker: Path) -> None:
    out = netcheck("diagnose", "--root", str(broken_worker), *LOOPBACK).out
    assert out.startswith("DIAGNOSIS: FAIL (most likely cause first)\n\n1. [FAIL] ROOT_PROXY")
    assert "\nHOST\n" in out and "\nWORKER\n" in out and "\nENDPOINTS\n" in out


def test_bundle_has_every_format_the_config_and_logs_and_no_secret(
    netcheck: Netcheck, broken_worker: Path, tmp_path: Path
) -> None:
    builder = HostBuilder(broken_worker)
    # secrets of every kind, where a worker host may hold them
    builder.write(
        "/etc/opt/microsoft/omsagent/conf/omsadmin.conf",
        (broken_worker / "etc/opt/microsoft/omsagent/conf/omsadmin.conf").read_text()
        + "WORKSPACE_KEY=Wk3y-S3cret==\n",
    )
    builder.log(
        "/var/opt/microsoft/omsagent/log/nxOMSAutomationWorker.log",
        "2025-03-01 09:00:00 onboarding.py --register -w ws -k OnB0ard-K3y== -g grp",
        "2025-03-01 09:00:01 Authorization: SharedKey ws:Sh4red-Sig",
        "2025-03-01 09:00:02 GET https://x.blob.core.windows.net/c?sv=1&sig=S4s-Sig&se=2",
        "2025-03-01 09:00:03 refreshed access_token=T0ken-S3cret",
    )
    bundle = tmp_path / "support.zip"
    run = netcheck("diagnose", "--root", str(broken_worker), *LOOPBACK, "--bundle", str(bundle))
    assert run.code == 1 and f"support bundle written to {bundle}" in run.err
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        members = {name: archive.read(name).decode() for name in names}
    assert {"report.txt", "report.json", "report.md", "report.junit.xml"} <= set(names)
    assert "config/etc/opt/microsoft/omsagent/conf/omsadmin.conf" in names
    assert "config/etc/opt/microsoft/omsagent/proxy.conf" in names
    assert "config/etc/os-release" in names
    assert f"logs{WORKER_LOG}" in names
    assert not any(n.endswith(".key") for n in names)
    secrets = (PROXY_SECRET, KEY_SECRET, "Wk3y-S3cret", "OnB0ard-K3y", "Sh4red-Sig", "S4s-Sig",
               "T0ken-S3cret")  # fmt: skip
    for name, text in members.items():
        for secret in secrets:
            assert secret not in text, (secret, name)
    assert "svc:***@127.0.0.1" in members["config/etc/opt/microsoft/omsagent/proxy.conf"]
    assert json.load(io.StringIO(members["report.json"]))["diagnosis"]


def test_unwritable_bundle_is_a_usage_error(
    netcheck: Netcheck, broken_worker: Path, tmp_path: Path
) -> None:
    run = netcheck(
        "diagnose", "--root", str(broken_worker), *LOOPBACK, "--bundle", str(tmp_path / "no/x.zip")
    )
    assert run.code == 2 and run.err.startswith("netcheck: error: cannot write --bundle")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--root", "/nonexistent/root"], "--root"),
        (["--region", "atlantis"], "unknown region 'atlantis'"),
        (["--proxy", "ftp://proxy:21"], "unsupported scheme"),
        (["--dns-server", "dns.corp"], "--dns-server"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    netcheck: Netcheck, tmp_path: Path, args: list[str], words: str
) -> None:
    HostBuilder(tmp_path).machine()
    run = netcheck("diagnose", "--root", str(tmp_path), *LOOPBACK, *args)
    assert run.code == 2, run
    assert len(run.err.splitlines()) == 1 and words in run.err, run.err
