"""Log scanning: the event 4502 text and the other signatures, quoted with file and time."""

from __future__ import annotations

from pathlib import Path

from netcheck.diagnose import logs
from netcheck.diagnose.hostfs import HostFiles

from .builders import EVENT_4502, WORKER_LOG, WORKSPACE, HostBuilder


def test_a_worker_log_with_the_4502_text(tmp_path: Path) -> None:
    HostBuilder(tmp_path).log(
        WORKER_LOG,
        "2025-03-01 10:00:00,101 [INFO] worker started",
        "2025-03-01 10:00:05,202 [ERROR] " + EVENT_4502.format(ws=WORKSPACE),
        "2025-03-01 10:05:05,303 [ERROR] " + EVENT_4502.format(ws=WORKSPACE),
    )
    scanned = logs.scan(HostFiles(tmp_path))
    assert scanned.scanned == (WORKER_LOG,)
    assert [m.code for m in scanned.matches] == ["LOG_TLS_INTERCEPTION"] * 2
    assert scanned.matches[0].time == "2025-03-01 10:00:05,202"
    (found,) = logs.judge(scanned)
    assert found.code == "LOG_TLS_INTERCEPTION"
    assert found.evidence["count"] == 2
    assert (found.evidence["first"], found.evidence["last"]) == (
        "2025-03-01 10:00:05,202",
        "2025-03-01 10:05:05,303",
    )
    assert f"{WORKER_LOG} at 2025-03-01 10:05:05,303" in found.message
    assert found.evidence["lines"][0]["file"] == WORKER_LOG


def test_each_signature(tmp_path: Path) -> None:
    agent_log = f"/var/opt/microsoft/omsagent/{WORKSPACE}/log/omsagent.log"
    extension_log = (
        "/var/log/azure/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux/worker.log"
    )
    builder = HostBuilder(tmp_path)
    builder.log(
        agent_log,
        "2025-03-02T08:00:00Z error: SSL_connect returned=1 errno=0 state=error: certificate "
        "verify failed (unable to get local issuer certificate)",
        "2025-03-02T08:01:00Z curl: (56) Received HTTP code 407 from proxy after CONNECT",
    )
    builder.log(
        extension_log,
        "3/2/2025 9:00:00 AM Unable to register [response_status=403]",
        "3/2/2025 9:00:01 AM took 407 ms",  # a number, not a proxy answer
    )
    scanned = logs.scan(HostFiles(tmp_path))
    assert sorted(scanned.scanned) == sorted([agent_log, extension_log])
    assert {(m.code, m.time) for m in scanned.matches} == {
        ("LOG_CERT_VERIFY_FAILED", "2025-03-02T08:00:00Z"),
        ("LOG_PROXY_ERROR", "2025-03-02T08:01:00Z"),
        ("LOG_AUTH_REJECTED", "3/2/2025 9:00:00 AM"),
    }


def test_quoted_lines_are_redacted(tmp_path: Path) -> None:
    HostBuilder(tmp_path).log(
        WORKER_LOG,
        "2025-03-01 10:00:00 proxy error via http://svc:Log-S3cret@proxy:3128",
    )
    scanned = logs.scan(HostFiles(tmp_path))
    assert "Log-S3cret" not in repr(scanned)
    assert "svc:***@proxy" in scanned.matches[0].text


def test_only_the_tail_of_a_big_log_is_read(tmp_path: Path) -> None:
    old = "2020-01-01 00:00:00 " + EVENT_4502.format(ws=WORKSPACE)
    filler = "x" * 200
    HostBuilder(tmp_path).log(WORKER_LOG, old, *([filler] * (logs.TAIL_BYTES // 100)))
    scanned = logs.scan(HostFiles(tmp_path))
    assert scanned.matches == ()
    assert len(scanned.tails[0][1]) <= logs.TAIL_BYTES


def test_no_logs(tmp_path: Path) -> None:
    scanned = logs.scan(HostFiles(tmp_path))
    assert scanned.scanned == () and logs.judge(scanned) == []
