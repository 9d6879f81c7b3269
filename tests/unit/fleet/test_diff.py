"""`netcheck report diff` on recorded reports: single-host and merged, regressions, fixes,
what was not compared, the exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ..conftest import Netcheck, Run
from .test_merge import DATA, DROPPED, FIREWALLED, HEALTHY, INSPECTED, recorded, write

CHANGE_FIELDS = {"host", "target", "port", "code"}


def as_host(name: str, report: str) -> dict[str, Any]:
    """A recorded report as if `name` had written it."""
    doc = recorded(report)
    doc["origin"]["hostname"] = name
    return doc


def compared(netcheck: Netcheck, before: Path, after: Path) -> tuple[Run, dict[str, Any]]:
    run = netcheck("report", "diff", str(before), str(after), "--format", "json")
    assert run.code in (0, 1), run
    return run, json.loads(run.out)


def test_a_firewall_change_that_dropped_an_endpoint(netcheck: Netcheck, tmp_path: Path) -> None:
    before = write(tmp_path, "before.json", as_host("hrw-07", HEALTHY))
    after = write(tmp_path, "after.json", as_host("hrw-07", FIREWALLED))
    run, doc = compared(netcheck, before, after)
    assert run.code == 1
    assert doc["schema"] == "netcheck.diff/1"
    assert doc["regressions"] == [
        {"host": "hrw-07", "target": DROPPED, "port": 443, "code": "TCP_TIMEOUT"}
    ]
    assert doc["fixed"] == doc["still_failing"] == doc["not_compared"] == []
    table = netcheck("report", "diff", str(before), str(after)).out
    assert "Regressions: 1" in table and "REGRESSED" in table
    markdown = netcheck("report", "diff", str(before), str(after), "--format", "markdown").out
    assert markdown.startswith("# netcheck diff: regressions")
    assert f"| `hrw-07` | `{DROPPED}:443` | `TCP_TIMEOUT` |" in markdown


def test_the_change_undone_is_fixed_and_exits_0(netcheck: Netcheck, tmp_path: Path) -> None:
    before = write(tmp_path, "before.json", as_host("hrw-07", FIREWALLED))
    after = write(tmp_path, "after.json", as_host("hrw-07", HEALTHY))
    run, doc = compared(netcheck, before, after)
    assert run.code == 0
    assert doc["fixed"] == [
        {"host": "hrw-07", "target": DROPPED, "port": 443, "code": "TCP_TIMEOUT"}
    ]
    assert doc["regressions"] == []


def test_a_new_code_on_a_failing_target_is_a_regression(netcheck: Netcheck, tmp_path: Path) -> None:
    # intercepted before; now the firewall also drops one of the intercepted endpoints
    after_doc = as_host("hrw-09", INSPECTED)
    (dropped,) = [t for t in after_doc["targets"] if t["host"] == DROPPED]
    dropped["findings"] = recorded(FIREWALLED)["targets"][2]["findings"]
    assert [f["code"] for f in dropped["findings"]] == ["TCP_TIMEOUT"]
    before = write(tmp_path, "before.json", as_host("hrw-09", INSPECTED))
    after = write(tmp_path, "after.json", after_doc)
    run, doc = compared(netcheck, before, after)
    assert run.code == 1
    assert [(c["target"], c["code"]) for c in doc["regressions"]] == [(DROPPED, "TCP_TIMEOUT")]
    assert [(c["target"], c["code"]) for c in doc["fixed"]] == [(DROPPED, "TLS_INTERCEPTED")]
    assert len(doc["still_failing"]) == 3
    assert all(set(c) == CHANGE_FIELDS for c in doc["still_failing"])


def test_single_host_reports_compare_whatever_their_names(
    netcheck: Netcheck, tmp_path: Path
) -> None:
    before = write(tmp_path, "before.json", {**recorded(HEALTHY), "origin": None})
    after = write(tmp_path, "after.json", recorded(FIREWALLED))
    _, doc = compared(netcheck, before, after)
    assert [c["host"] for c in doc["regressions"]] == [FIREWALLED]


def test_two_merged_reports(netcheck: Netcheck, tmp_path: Path) -> None:
    monday = tmp_path / "monday"
    tuesday = tmp_path / "tuesday"
    for folder, reports in ((monday, (HEALTHY, INSPECTED)), (tuesday, (INSPECTED, FIREWALLED))):
        folder.mkdir()
        for name in reports:
            write(folder, f"{name}.json", recorded(name))
        merged = netcheck("report", "merge", str(folder), "--format", "json")
        (tmp_path / f"{folder.name}.json").write_text(merged.out)
    run, doc = compared(netcheck, tmp_path / "monday.json", tmp_path / "tuesday.json")
    assert run.code == 0  # the intercepted host still fails the same way: nothing new
    assert {c["host"] for c in doc["still_failing"]} == {INSPECTED}
    assert doc["not_compared"] == [
        {"host": FIREWALLED, "reason": "no report in BEFORE"},
        {"host": HEALTHY, "reason": "no report in AFTER"},
    ]


def test_a_host_without_data_is_not_compared(netcheck: Netcheck, tmp_path: Path) -> None:
    folder = tmp_path / "after"
    folder.mkdir()
    write(folder, f"{HEALTHY}.json", recorded(HEALTHY))
    write(folder, f"{INSPECTED}.json", "{ cut short")
    after = tmp_path / "after.json"
    after.write_text(netcheck("report", "merge", str(folder), "--format", "json").out)
    before = tmp_path / "before.json"
    before.write_text(netcheck("report", "merge", str(DATA), "--format", "json").out)
    _, doc = compared(netcheck, before, after)
    (skipped,) = [n for n in doc["not_compared"] if n["host"] == INSPECTED]
    assert skipped["reason"].startswith("no data in AFTER: not JSON, or cut short")


@pytest.mark.parametrize(
    ("before", "words"),
    [
        ("/no/such.json", "BEFORE /no/such.json: cannot read it: No such file or directory"),
        ("JUNK", "not JSON, or cut short"),
        ("OTHER", "unknown schema 'sarif/2.1'"),
    ],
)
def test_an_unreadable_side_exits_2(
    netcheck: Netcheck, tmp_path: Path, before: str, words: str
) -> None:
    write(tmp_path, "JUNK", "{")
    write(tmp_path, "OTHER", {"schema": "sarif/2.1"})
    path = before if before.startswith("/") else str(tmp_path / before)
    run = netcheck("report", "diff", path, str(DATA / f"{HEALTHY}.json"))
    assert run.code == 2
    assert words in run.err
    assert len(run.err.splitlines()) == 1
