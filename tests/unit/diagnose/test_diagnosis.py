"""The ranked diagnosis: most likely cause first, probe and log evidence merged, proxy named."""

from __future__ import annotations

from netcheck.diagnose import proxy_choice
from netcheck.diagnose.diagnosis import rank
from netcheck.findings import codes
from netcheck.findings.base import finding
from netcheck.findings.codes import CODES
from netcheck.models import (
    Deployment,
    Finding,
    Observation,
    Report,
    Status,
    Target,
    TargetResult,
    status_of,
)

CONFIGURED = proxy_choice.candidate(
    "http://svc:Rank-S3cret@10.9.9.9:3128",
    "omsagent proxy.conf",
    "/etc/opt/microsoft/omsagent/proxy.conf",
)
THROUGH_PROXY = proxy_choice.choose(None, [CONFIGURED], {}, ())
DIRECT = proxy_choice.choose(None, [], {}, ())


def target(host: str) -> Target:
    return Target(host, 443, ("e",), "test", frozenset({Deployment.AGENT}), True, "unit test")


def report(*results: tuple[str, tuple[Finding, ...]]) -> Report:
    return Report(
        "0",
        "2025-01-01T00:00:00+00:00",
        {},
        tuple(
            TargetResult(target(host), status_of(found), found, Observation("x"))
            for host, found in results
        ),
        1.0,
    )


def intercepted(host: str) -> Finding:
    return finding(codes.TLS_INTERCEPTED, f"{host}: TLS is intercepted by Contoso", issuer="CN=x")


LOG_4502 = finding(
    codes.LOG_TLS_INTERCEPTION,
    "2 line(s) in the worker's logs, latest: worker.log at 2025-03-01 10:05:05: ...",
    lines=[{"file": "/var/x/worker.log", "time": "2025-03-01 10:05:05", "text": "not issued ..."}],
)


def test_every_code_has_its_own_place_in_the_order() -> None:
    assert len({c.priority for c in CODES.values()}) == len(CODES)


def test_interception_through_the_configured_proxy_comes_first_with_the_log_as_evidence() -> None:
    probed = report(
        ("a.azure-automation.net", (intercepted("a.azure-automation.net"),)),
        ("b.azure-automation.net", (intercepted("b.azure-automation.net"),)),
        ("c.azure-automation.net", ()),
        (
            "d.blob.core.windows.net",
            (finding(codes.PROXY_DENIED, "the proxy refused CONNECT d:443 (HTTP 403)"),),
        ),
    )
    memory = finding(codes.HOST_MEMORY_LOW, "this host has 2.0 GiB of memory")
    causes = rank(probed, [memory], [LOG_4502], THROUGH_PROXY)
    assert [c.code for c in causes] == ["TLS_INTERCEPTED", "PROXY_DENIED", "HOST_MEMORY_LOW"]
    first = causes[0]
    assert "2 endpoints" in first.summary
    assert "through the proxy http://svc:***@10.9.9.9:3128" in first.summary
    assert "/etc/opt/microsoft/omsagent/proxy.conf" in first.summary
    assert "own log agrees" in first.summary
    assert any(e.startswith("log /var/x/worker.log at 2025-03-01 10:05:05") for e in first.evidence)
    assert "10.9.9.9:3128" in first.fix
    assert "Rank-S3cret" not in repr(causes)


def test_a_log_line_alone_stands_as_its_own_cause() -> None:
    causes = rank(report(("a.azure-automation.net", ())), [], [LOG_4502], DIRECT)
    assert [c.code for c in causes] == ["LOG_TLS_INTERCEPTION"]
    assert "proxy" not in causes[0].summary.split(":")[0]


def test_a_stopped_service_outranks_the_network() -> None:
    probed = report(("a.azure-automation.net", (finding(codes.TCP_TIMEOUT, "TCP 443 dropped"),)))
    stopped = finding(
        codes.AGENT_SERVICE_STOPPED, "hwd is not running", "sudo systemctl restart hwd"
    )
    causes = rank(probed, [stopped], [], DIRECT)
    assert [c.code for c in causes] == ["AGENT_SERVICE_STOPPED", "TCP_TIMEOUT"]
    assert causes[0].fix == "sudo systemctl restart hwd"
    assert "proxy" not in causes[1].summary


def test_failures_come_before_warnings_whatever_the_order() -> None:
    warn_first_in_order = finding(codes.HOST_CPU_LOW, "1 core")
    fail = finding(codes.HTTP_ERROR, "no answer")
    causes = rank(report(("a", (fail,))), [warn_first_in_order], [], DIRECT)
    assert [c.code for c in causes] == ["HTTP_ERROR", "HOST_CPU_LOW"]


def test_nothing_wrong_means_no_cause() -> None:
    assert rank(report(("a", ())), [], [], DIRECT) == ()


def test_many_endpoints_are_summarised() -> None:
    hosts = [f"h{n}.azure-automation.net" for n in range(9)]
    probed = report(*((h, (finding(codes.TCP_TIMEOUT, f"TCP 443 to {h} dropped"),)) for h in hosts))
    (cause,) = rank(probed, [], [], DIRECT)
    assert "9 endpoints" in cause.summary and "and 6 more" in cause.summary
    assert cause.evidence[-1] == "... and 3 more"
    assert cause.fix == CODES["TCP_TIMEOUT"].fix
    assert report(("a", ())).status is Status.PASS
