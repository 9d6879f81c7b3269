"""`netcheck report merge` on reports recorded from a real fleet run (tests/e2e/
test_fleet_ansible.py): broken inputs, duplicates, --expect, every format, the exit codes."""

from __future__ import annotations

import copy
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from netcheck.fleet.merge import merge
from netcheck.fleet.model import HostReport
from netcheck.fleet.read import NotAReport, host_report
from netcheck.fleet.render.summary import LIMIT
from netcheck.fleet.render.summary import render_fleet as summary
from netcheck.formats import MERGE_RENDERERS, MergeFormat
from netcheck.models import HostStatus

from ..conftest import Netcheck, Run

DATA = Path(__file__).resolve().parents[1] / "data" / "fleet"
HEALTHY, INSPECTED, FIREWALLED = "hrw-healthy", "hrw-inspected", "hrw-firewalled"
DROPPED = "inspected-known.tl.azure-automation.net"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


def write(folder: Path, name: str, document: Any) -> Path:
    path = folder / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def merged(netcheck: Netcheck, *args: str) -> tuple[Run, dict[str, Any]]:
    run = netcheck("report", "merge", *args, "--format", "json")
    assert run.code in (0, 1), run
    return run, json.loads(run.out)


def hosts_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {h["name"]: h for h in doc["hosts"]}


def test_the_recorded_fleet(netcheck: Netcheck) -> None:
    run, doc = merged(netcheck, str(DATA))
    assert run.code == 1
    assert doc["schema"] == "netcheck.fleet/1"
    hosts = hosts_of(doc)
    assert {n: h["status"] for n, h in hosts.items()} == {
        HEALTHY: "pass",
        INSPECTED: "fail",
        FIREWALLED: "fail",
    }
    assert [h["name"] for h in doc["hosts"]][-1] == HEALTHY  # worst first
    assert doc["summary"]["counts"] == {"fail": 2, "nodata": 0, "warn": 0, "pass": 1}
    causes = [(c["code"], c["detail"], c["hosts"]) for c in doc["causes"]]
    assert ("TLS_INTERCEPTED", "mitmproxy", [INSPECTED]) in causes
    assert ("TCP_TIMEOUT", None, [FIREWALLED]) in causes
    firewalled = hosts[FIREWALLED]
    assert [(f["target"], f["port"], f["code"], f["severity"]) for f in firewalled["findings"]] == [
        (DROPPED, 443, "TCP_TIMEOUT", "fail")
    ]
    assert {t["status"] for t in firewalled["targets"]} == {"pass", "fail"}
    assert firewalled["origin"]["hostname"] == FIREWALLED
    assert firewalled["source"] == str(DATA / f"{FIREWALLED}.json")


def test_a_fleet_that_passes_exits_0(netcheck: Netcheck) -> None:
    run = netcheck("report", "merge", str(DATA / f"{HEALTHY}.json"))
    assert run.code == 0, run
    assert run.out.splitlines()[-1] == "PASS: 1 hosts (1 pass)"


BROKEN: dict[str, tuple[Any, str]] = {
    "truncated": ((DATA / f"{HEALTHY}.json").read_text()[:700], "not JSON, or cut short"),
    "empty": ("", "empty"),
    "other JSON": ({"hello": "world"}, "no 'schema' field"),
    "a JSON array": ([1, 2], "a JSON array, not an object"),
    "a newer schema": ({"schema": "netcheck.report/2"}, "unknown schema 'netcheck.report/2'"),
    "another tool": ({"schema": "sarif/2.1"}, "unknown schema"),
    "a merged report": ({"schema": "netcheck.fleet/1", "hosts": []}, "a merged fleet report"),
    "a missing field": (
        {k: v for k, v in recorded(HEALTHY).items() if k != "targets"},
        "targets is missing",
    ),
    "a wrong type": (
        {**recorded(HEALTHY), "targets": [{**recorded(HEALTHY)["targets"][0], "port": "443"}]},
        "targets[0].port is a string, not a number",
    ),
    "an unknown status": (
        {**recorded(HEALTHY), "targets": [{**recorded(HEALTHY)["targets"][0], "status": "ok"}]},
        "targets[0].status: unknown value 'ok'",
    ),
    "not UTF-8": (None, "not text"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_input_is_a_nodata_host_and_the_rest_merges(
    netcheck: Netcheck, tmp_path: Path, case: str
) -> None:
    content, words = BROKEN[case]
    if content is None:
        (tmp_path / "broken.json").write_bytes(b"\xff\xfe\x00garbage")
    else:
        write(tmp_path, "broken.json", content)
    shutil.copy(DATA / f"{HEALTHY}.json", tmp_path)
    run, doc = merged(netcheck, str(tmp_path))
    assert run.code == 1  # a host sent nothing usable
    hosts = hosts_of(doc)
    assert hosts[HEALTHY]["status"] == "pass"
    assert hosts["broken"]["status"] == "nodata"
    assert words in hosts["broken"]["reason"]
    assert "Traceback" not in run.err


def test_nothing_readable_is_a_usage_error(netcheck: Netcheck, tmp_path: Path) -> None:
    write(tmp_path, "a.json", {"hello": "world"})
    run = netcheck("report", "merge", str(tmp_path))
    assert run.code == 2
    assert run.err.startswith("netcheck: error: nothing readable: none of the 1 input(s)")
    assert len(run.err.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["/no/such/report.json"], "no such file or folder: /no/such/report.json"),
        (["EMPTY"], "no *.json report found in"),
        ([str(DATA), "--format", "yaml"], "'yaml' is not one of"),
        ([str(DATA), "--expect", "/no/such/hosts.txt"], "cannot read --expect"),
        ([], "Missing argument 'REPORT...'"),
    ],
    ids=["missing-file", "empty-folder", "bad-format", "missing-expect", "no-argument"],
)
def test_wrong_arguments_exit_2(
    netcheck: Netcheck, tmp_path: Path, args: list[str], words: str
) -> None:
    args = [str(tmp_path) if a == "EMPTY" else a for a in args]
    run = netcheck("report", "merge", *args)
    assert run.code == 2, run
    assert words in run.err
    assert len(run.err.splitlines()) == 1
    assert "Traceback" not in run.err


def test_expect_names_the_hosts_that_sent_nothing(netcheck: Netcheck, tmp_path: Path) -> None:
    shutil.copy(DATA / f"{HEALTHY}.json", tmp_path)
    # a report fetched as <inventory name>.json whose machine calls itself otherwise
    renamed = recorded(INSPECTED)
    renamed["origin"]["hostname"] = "WIN-7Q2KD9"
    write(tmp_path, "hrw-win-01.json", renamed)
    expect = write(tmp_path, "hosts.txt", f"# workers\n{HEALTHY}\nhrw-win-01\n\nhrw-gone\n")
    run, doc = merged(netcheck, str(tmp_path), "--expect", str(expect))
    hosts = hosts_of(doc)
    assert set(hosts) == {HEALTHY, "WIN-7Q2KD9", "hrw-gone"}
    assert hosts["hrw-gone"] == {
        **hosts["hrw-gone"],
        "status": "nodata",
        "source": None,
        "reason": "no report received from this expected host",
    }
    assert run.code == 1


def test_expect_alone_makes_a_report_of_silence(netcheck: Netcheck, tmp_path: Path) -> None:
    expect = write(tmp_path, "hosts.txt", "a\nb\n")
    (tmp_path / "reports").mkdir()
    # every worker unreachable: a report that says so, not a usage error
    run, doc = merged(netcheck, str(tmp_path / "reports"), "--expect", str(expect))
    assert run.code == 1
    assert doc["summary"]["counts"]["nodata"] == 2
    write(tmp_path / "reports", "junk.json", "{")
    run, doc = merged(netcheck, str(tmp_path / "reports"), "--expect", str(expect))
    assert run.code == 1
    assert {h["name"]: h["status"] for h in doc["hosts"]} == {
        "a": "nodata",
        "b": "nodata",
        "junk": "nodata",
    }


def test_of_two_reports_from_one_host_the_newest_counts(netcheck: Netcheck, tmp_path: Path) -> None:
    old = recorded(FIREWALLED)
    new = recorded(HEALTHY)
    new["origin"]["hostname"] = FIREWALLED
    old["generated_at"] = "2026-01-01T10:00:00+00:00"
    new["generated_at"] = "2026-01-02T10:00:00+00:00"
    # the newer one sorts first by name: order of reading must not decide
    write(tmp_path, "a-new.json", new)
    write(tmp_path, "b-old.json", old)
    run, doc = merged(netcheck, str(tmp_path))
    (host,) = doc["hosts"]
    assert host["status"] == "pass"
    assert host["source"].endswith("a-new.json")
    assert host["superseded"] == [
        {"source": str(tmp_path / "b-old.json"), "generated_at": "2026-01-01T10:00:00+00:00"}
    ]
    assert doc["summary"]["superseded"] == 1
    assert run.code == 0
    table = netcheck("report", "merge", str(tmp_path)).out
    assert "Duplicate reports (the newest counts):" in table
    assert "b-old.json" in table and "is older" in table


def test_a_readable_report_beats_a_broken_one_of_the_same_name(
    netcheck: Netcheck, tmp_path: Path
) -> None:
    shutil.copy(DATA / f"{HEALTHY}.json", tmp_path / f"{HEALTHY}.json")
    (tmp_path / "later").mkdir()
    write(tmp_path / "later", f"{HEALTHY}.json", "{ truncated")
    _, doc = merged(netcheck, str(tmp_path))
    (host,) = doc["hosts"]
    assert host["status"] == "pass"
    assert host["superseded"][0]["source"].endswith(f"later/{HEALTHY}.json")


def test_reports_from_stdin(netcheck: Netcheck, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO((DATA / f"{INSPECTED}.json").read_text()))
    run, doc = merged(netcheck, "-", str(DATA / f"{HEALTHY}.json"))
    assert {h["name"] for h in doc["hosts"]} == {INSPECTED, HEALTHY}
    assert hosts_of(doc)[INSPECTED]["source"] == "-"
    assert run.code == 1


def test_canaries_line_up_across_hosts() -> None:
    hosts = []
    for n, label in enumerate(("netcheck-canary-aaaa", "netcheck-canary-bbbb")):
        doc = recorded(HEALTHY)
        doc["origin"]["hostname"] = f"h{n}"
        doc["targets"].append(
            {**doc["targets"][0], "host": f"{label}.blob.core.windows.net", "canary": True}
        )
        hosts.append(host_report(doc, f"h{n}.json"))
    names = {t.target for h in hosts for t in h.targets}
    assert "(canary).blob.core.windows.net" in names
    assert not any(n.startswith("netcheck-canary-") for n in names)


def test_every_format_renders_and_junit_has_one_suite_per_host(netcheck: Netcheck) -> None:
    assert list(MERGE_RENDERERS) == list(MergeFormat)
    for fmt in MergeFormat:
        assert callable(MERGE_RENDERERS.renderer(fmt)), fmt
    for fmt in MergeFormat:
        run = netcheck("report", "merge", str(DATA), "--format", fmt.value)
        assert run.code == 1 and run.out.strip(), fmt
    junit = netcheck("report", "merge", str(DATA), "--format", "junit").out
    root = ET.fromstring(junit.split("\n", 1)[1])
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {HEALTHY, INSPECTED, FIREWALLED}
    assert suites[FIREWALLED].get("failures") == "1"
    assert suites[INSPECTED].get("failures") == "4"
    assert root.get("tests") == "12"


def test_markdown_and_table_name_the_causes(netcheck: Netcheck) -> None:
    table = netcheck("report", "merge", str(DATA)).out
    assert "[FAIL] TLS_INTERCEPTED by mitmproxy on 1 of 3 hosts" in table
    markdown = netcheck("report", "merge", str(DATA), "--format", "markdown").out
    assert markdown.startswith("# netcheck fleet report: FAIL")
    assert "| fail | `hrw-firewalled` | TCP_TIMEOUT |" in markdown


# ---------------------------------------------------------------- summary, whatever the size


def synthetic_fleet(count: int, name_length: int) -> list[HostReport]:
    """`count` hosts cycling through the recorded reports, with long (multi-byte) names."""
    templates = [recorded(n) for n in (HEALTHY, INSPECTED, FIREWALLED)]
    hosts = []
    for i in range(count):
        doc = copy.deepcopy(templates[i % 3])
        doc["origin"]["hostname"] = f"{i:05d}-" + "wörker-" * (name_length // 7)
        hosts.append(host_report(doc, f"{i}.json"))
    return hosts


@pytest.mark.parametrize(("count", "name_length"), [(3, 5), (30, 20), (3000, 300)])
def test_the_summary_fits_in_4096_bytes_worst_first(count: int, name_length: int) -> None:
    fleet = merge(synthetic_fleet(count, name_length), generated_at="now", tool_version="0")
    text = summary(fleet)
    assert len(text.encode("utf-8")) <= LIMIT
    lines = text.splitlines()
    assert lines[0].startswith("netcheck fleet FAIL: ")
    assert lines[1].startswith("[FAIL] ")  # the causes first, then each status's hosts
    order = ["FAIL", "NODATA", "WARN", "PASS"]
    groups = [ln.split(":")[0] for ln in lines if re.match(r"^[A-Z]+: \d+ hosts: ", ln)]
    assert groups == sorted(groups, key=order.index) and "FAIL" in groups
    details = [ln.split()[0] for ln in lines if re.match(r"^[A-Z]+ \S+: ", ln)]
    assert details == sorted(details, key=order.index)
    if count > 30:
        assert lines[-1].startswith("... ")


def test_a_missing_host_in_the_summary_is_named_even_among_many_failing() -> None:
    small = merge(synthetic_fleet(20, 10), ["missing-host"], generated_at="now", tool_version="0")
    assert "NODATA missing-host: no report received" in summary(small)
    large = merge(synthetic_fleet(2000, 10), ["missing-host"], generated_at="now", tool_version="0")
    assert "NODATA: 1 hosts: missing-host" in summary(large)
    assert large.status is HostStatus.FAIL


def test_an_origin_of_the_wrong_shape_keeps_only_what_fits() -> None:
    doc = recorded(HEALTHY)
    doc["origin"] = {"hostname": "hrw-x", "addresses": "192.0.2.7", "os": ["Linux"], "extra": 1}
    host = host_report(doc, "reports/a.json")
    assert host.name == "hrw-x"
    assert host.origin == {"hostname": "hrw-x"}
    doc["origin"]["hostname"] = 7
    with pytest.raises(NotAReport, match=r"origin\.hostname is a number, not a string"):
        host_report(doc, "reports/a.json")
