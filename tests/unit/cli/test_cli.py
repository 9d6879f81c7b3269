"""The command line as a user meets it: help, environment, one-line errors, listings, and one
`check` that never leaves loopback (a closed proxy port and a DNS server on 127.0.0.1)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from netcheck.cli import cli
from netcheck.formats import Format

from ..conftest import Netcheck, Run

W = "1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"
SECRET = "Pr0xy-S3cret!"

LAB_CATALOGUE = """\
schema: 1
date: "2026-01-01"
clouds:
  lab:
    display_name: Loopback lab
    suffixes:
      automation: automation.lab.test
regions:
  - name: labregion
    display_name: Lab Region
    code: lab
    cloud: lab
    account_domains: []
    legacy_jrds: lab-jobruntimedata-prod-su1.automation.lab.test
    legacy_agentservice: null
    original_2018: false
    doubtful: null
    source: unit test
endpoints:
  - id: agentsvc-workspace
    pattern: "{workspace_id}.agentsvc.{automation}"
    port: 443
    purpose: agent service
    deployments: [agent]
    bypass_inspection: true
    source: unit test
  - id: jrds-legacy
    pattern: "{legacy_jrds}"
    port: 443
    purpose: job runtime data
    deployments: [agent, extension]
    bypass_inspection: true
    source: unit test
certificate_authorities: []
"""


@pytest.fixture(autouse=True)
def _no_netcheck_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("NETCHECK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB_CATALOGUE, encoding="utf-8")
    return path


@pytest.fixture
def safe_check(lab: Path, closed_port: int) -> list[str]:
    """`check` arguments under which every packet stays on loopback, even if validation of
    the argument under test were broken."""
    return [
        "check",
        "--catalogue", str(lab),
        "--region", "labregion",
        "--workspace-id", W,
        "--proxy", f"http://svc-hrw:{SECRET}@127.0.0.1:{closed_port}",
        "--dns-server", "127.0.0.1",
        "--timeout", "0.3",
    ]  # fmt: skip


def replaced(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    out[out.index(option) + 1] = value
    return out


def assert_one_line_usage_error(run: Run) -> str:
    assert run.code == 2, run
    assert run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("netcheck: error: ")
    assert "Traceback" not in run.err
    assert SECRET not in run.err
    return lines[0]


# ---------------------------------------------------------------- help


def command(name: str) -> click.Command:
    """One command, loaded as the CLI loads it (on demand)."""
    assert isinstance(cli, click.Group)
    found = cli.get_command(click.Context(cli), name)
    assert found is not None, name
    return found


def command_names() -> list[str]:
    """Every command and every subcommand of a group (e.g. "report merge")."""
    assert isinstance(cli, click.Group)
    names = []
    for name in cli.list_commands(click.Context(cli)):
        names.append(name)
        found = command(name)
        if isinstance(found, click.Group):
            names += [f"{name} {sub}" for sub in sorted(found.commands)]
    return names


PROBING_EXIT = "Exit codes: 0 no failing finding; 1 at least one failing finding; 2 bad usage"
MERGE_EXIT = "Exit codes: 0 every host passes or warns; 1 a host fails or sent no report; 2 bad"
DIFF_EXIT = "Exit codes: 0 no regression; 1 at least one regression; 2 bad usage"
# Listing and generating commands never exit 1, and their help says so.
EXIT_LINES = {
    "": [PROBING_EXIT],
    "check": [PROBING_EXIT],
    "diagnose": [PROBING_EXIT],
    "report": [MERGE_EXIT, DIFF_EXIT],
    "report merge": [MERGE_EXIT],
    "report diff": [DIFF_EXIT],
}


@pytest.mark.parametrize("command", ["", *command_names()])
def test_help_shows_examples_and_exit_codes(netcheck: Netcheck, command: str) -> None:
    run = netcheck(*command.split(), "--help")
    assert run.code == 0
    text = " ".join(run.out.split())  # click wraps the epilog
    assert "Examples:" in text
    for line in EXIT_LINES.get(command, ["Exit codes: 0 done; 2 bad usage or input; 3 internal"]):
        assert line in text


def test_check_help_names_every_environment_variable(netcheck: Netcheck) -> None:
    run = netcheck("check", "--help")
    for name in ("REGION", "WORKSPACE_ID", "AUTOMATION_ACCOUNT_ID", "UPDATE_MANAGEMENT", "PROXY",
                 "CA_BUNDLE", "CATALOGUE", "DNS_SERVER", "TIMEOUT", "FORMAT", "OUTPUT"):  # fmt: skip
        assert f"NETCHECK_{name}" in run.out, name


def test_check_formats_are_the_report_formats() -> None:
    (fmt,) = [p for p in command("check").params if p.name == "fmt"]
    assert isinstance(fmt.type, click.Choice)
    assert sorted(fmt.type.choices) == sorted(f.value for f in Format)


# ---------------------------------------------------------------- environment


def test_region_from_the_environment(netcheck: Netcheck, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETCHECK_REGION", "West Europe")
    monkeypatch.setenv("NETCHECK_WORKSPACE_ID", W)
    run = netcheck("endpoints", "--format", "json")
    assert run.code == 0, run.err
    hosts = {row["host"] for row in json.loads(run.out)}
    assert "we-jobruntimedata-prod-su1.azure-automation.net" in hosts
    assert f"{W}.agentsvc.azure-automation.net" in hosts


def test_an_option_wins_over_the_environment(
    netcheck: Netcheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETCHECK_REGION", "atlantis")
    run = netcheck("endpoints", "--region", "ne", "--format", "json")
    assert run.code == 0, run.err


def test_bad_region_from_the_environment_is_a_usage_error(
    netcheck: Netcheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETCHECK_REGION", "westeurop")
    line = assert_one_line_usage_error(netcheck("endpoints"))
    assert "westeurope" in line


# ---------------------------------------------------------------- bad input


def bundle_without_certificates(tmp_path: Path) -> str:
    path = tmp_path / "empty.pem"
    path.write_text("no certificates here\n", encoding="utf-8")
    return str(path)


BAD_INPUT: dict[str, tuple[str, Callable[[Path], str], str]] = {
    "unknown region": ("--region", lambda tmp: "atlantis", "unknown region 'atlantis'"),
    "malformed GUID": ("--workspace-id", lambda tmp: "not-a-guid", "--workspace-id"),
    "broken catalogue": (
        "--catalogue",
        lambda tmp: str(tmp / "broken.yaml"),
        "broken.yaml: regions[0].code: missing",
    ),
    "missing CA bundle": ("--ca-bundle", lambda tmp: str(tmp / "absent.pem"), "CA bundle"),
    "CA bundle without certificates": (
        "--ca-bundle",
        bundle_without_certificates,
        "holds no PEM certificates",
    ),
    "https proxy": ("--proxy", lambda tmp: f"https://u:{SECRET}@127.0.0.1:3128", "scheme"),
    "proxy port": ("--proxy", lambda tmp: f"http://u:{SECRET}@127.0.0.1:99999", "port"),
    "DNS server name": ("--dns-server", lambda tmp: "dns.corp", "--dns-server"),
    "DNS server address": ("--dns-server", lambda tmp: "10.0.0.300", "--dns-server"),
    "unwritable output": (
        "--output",
        lambda tmp: str(tmp / "no" / "such" / "dir.json"),
        "--output",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_one_line_and_exit_2(
    netcheck: Netcheck, safe_check: list[str], tmp_path: Path, case: str
) -> None:
    option, value, words = BAD_INPUT[case]
    broken = LAB_CATALOGUE.replace("    code: lab\n", "")
    (tmp_path / "broken.yaml").write_text(broken, encoding="utf-8")
    args = list(safe_check) if option in safe_check else [*safe_check, option, ""]
    run = netcheck(*replaced(args, option, value(tmp_path)))
    assert words in assert_one_line_usage_error(run)


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--region", "we", "--timeout", "soon"],
        ["check", "--region", "we", "--format", "yaml"],
        ["check"],
        ["regions", "--format", "xml"],
        ["no-such-command"],
    ],
    ids=["bad-timeout", "bad-format", "missing-region", "bad-listing-format", "unknown-command"],
)
def test_click_usage_errors_are_one_line_and_exit_2(netcheck: Netcheck, args: list[str]) -> None:
    run = netcheck(*args)
    assert run.code == 2
    assert "Traceback" not in run.err
    assert len(run.err.splitlines()) == 1, run.err


def test_empty_region_is_a_usage_error(netcheck: Netcheck) -> None:
    line = assert_one_line_usage_error(netcheck("endpoints", "--region", ""))
    assert "unknown region ''" in line


def test_usage_error_in_a_real_process_has_no_traceback(lab: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "netcheck", "endpoints", "--catalogue", str(lab), "-r", "atlantis"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("NETCHECK_")},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("netcheck: error: unknown region 'atlantis'")
    assert len(done.stderr.splitlines()) == 1


# ---------------------------------------------------------------- listings


def test_regions_json(netcheck: Netcheck) -> None:
    run = netcheck("regions", "--format", "json")
    assert run.code == 0
    rows = {row["name"]: row for row in json.loads(run.out)}
    assert rows["westeurope"]["code"] == "we"
    assert rows["germanywestcentral"]["account_domains"] == [
        "azure-automation.de",
        "azure-automation.net",
    ]
    assert rows["germanywestcentral"]["doubtful"]
    assert rows["usgovarizona"]["cloud"] == "usgov"
    assert sum(row["original_2018"] for row in rows.values()) == 12


def test_regions_csv(netcheck: Netcheck) -> None:
    run = netcheck("regions", "--format", "csv")
    assert run.code == 0
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(run.out))}
    assert {"name", "display_name", "code", "cloud", "account_domains"} <= set(rows["eastus2"])
    assert rows["eastus2"]["code"] == "eus2"
    assert rows["switzerlandnorth"]["account_domains"] == ""
    assert rows["chinanorth3"]["code"] == "cnn3"


def test_regions_table(netcheck: Netcheck) -> None:
    run = netcheck("regions")
    assert run.code == 0
    header = run.out.splitlines()[0].split()
    assert header[:4] == ["NAME", "DISPLAY_NAME", "CODE", "CLOUD"]
    assert any(line.split()[:1] == ["westeurope"] for line in run.out.splitlines())


def test_regions_of_a_custom_catalogue(netcheck: Netcheck, lab: Path) -> None:
    run = netcheck("regions", "--catalogue", str(lab), "--format", "json")
    assert [row["name"] for row in json.loads(run.out)] == ["labregion"]


ENDPOINTS = ["endpoints", "-r", "westeurope", "--workspace-id", W, "--update-management"]


def test_endpoints_json(netcheck: Netcheck) -> None:
    run = netcheck(*ENDPOINTS, "--format", "json")
    assert run.code == 0
    rows = {row["host"]: row for row in json.loads(run.out)}
    for host in (
        f"{W}.agentsvc.azure-automation.net",
        "we-jobruntimedata-prod-su1.azure-automation.net",
        f"{W}.ods.opinsights.azure.com",
        f"{W}.oms.opinsights.azure.com",
    ):
        assert rows[host]["check"] == "probe"
        assert rows[host]["purpose"] and rows[host]["source"]
    assert rows["*.blob.core.windows.net"]["check"].startswith("skip: ")
    assert rows["*.ods.opinsights.azure.com"]["check"].startswith("covered by ")


def test_endpoints_csv(netcheck: Netcheck) -> None:
    run = netcheck(*ENDPOINTS, "--format", "csv")
    assert run.code == 0
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert {"host", "port", "check", "purpose", "source"} <= set(rows[0])
    assert f"{W}.oms.opinsights.azure.com" in {row["host"] for row in rows}


def test_endpoints_table(netcheck: Netcheck) -> None:
    run = netcheck(*ENDPOINTS)
    assert run.code == 0
    assert f"{W}.agentsvc.azure-automation.net" in run.out
    assert "needs" not in run.out  # the workspace was given


# ---------------------------------------------------------------- check, on loopback only


def test_check_through_an_unreachable_proxy(netcheck: Netcheck, safe_check: list[str]) -> None:
    started = time.monotonic()
    run = netcheck(*safe_check, "--format", "json")
    elapsed = time.monotonic() - started
    assert run.code == 1, run.err
    assert SECRET not in run.out + run.err
    doc = json.loads(run.out)
    assert doc["summary"]["status"] == "fail"
    assert doc["options"]["proxy"].startswith("http://svc-hrw:***@127.0.0.1:")
    probed = [t for t in doc["targets"] if t["status"] != "skip"]
    assert {t["host"] for t in probed} == {
        f"{W}.agentsvc.automation.lab.test",
        "lab-jobruntimedata-prod-su1.automation.lab.test",
    }
    for item in probed:
        assert [f["code"] for f in item["findings"]] == ["PROXY_UNREACHABLE"]
        assert item["observations"]["tcp"]["outcome"] == "refused"
        assert item["via_proxy"] == doc["options"]["proxy"]
    # every target at once: about one timeout, not one per target
    assert elapsed < 5


def test_check_report_to_a_file(netcheck: Netcheck, safe_check: list[str], tmp_path: Path) -> None:
    output = tmp_path / "report.md"
    run = netcheck(*safe_check, "--format", "markdown", "--output", str(output))
    assert run.code == 1
    assert run.out == ""
    assert run.err.strip() == f"netcheck: report written to {output}"
    text = output.read_text(encoding="utf-8")
    assert text.startswith("# netcheck report: FAIL")
    assert "PROXY_UNREACHABLE" in text
    assert SECRET not in text


# ---------------------------------------------------------------- --output


def test_output_is_written_atomically(tmp_path: Path) -> None:
    from netcheck.cli.base import write_atomically

    target = tmp_path / "netcheck.prom"
    target.write_text("old\n")
    write_atomically(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["netcheck.prom"]
    mode = target.stat().st_mode & 0o777
    assert mode == 0o666 & ~current_umask(), oct(mode)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    from netcheck.cli.base import write_atomically

    target = tmp_path / "netcheck.prom"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "\udcff")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["netcheck.prom"]


def current_umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
