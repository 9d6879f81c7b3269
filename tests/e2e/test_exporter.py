"""The exporter in the world: a real Prometheus scrapes it with the example configuration,
promtool reads what it writes, a real interceptor shows in its metrics, and it survives
concurrent scrapes, failing probes, a flood beyond --max-probes and 1,000 probes in a row."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.world import exporter as ex
from tests.world import interceptors, netns, plan, scenarios, services
from tests.world.interceptors import Interceptor
from tests.world.run import run_cli
from tests.world.world import World

pytestmark = pytest.mark.world

PASSWORD_VARIABLE = "NCE_PROXY_PASSWORD"
INSPECTED = scenarios.by_label("inspected-known")
# Genuine chains on the TLS server's main address, and one on an address of its own that the
# firewall can drop or redirect without touching the others.
HEALTHY = (*scenarios.GENUINE, INSPECTED)
SCRAPE_INTERVAL = 3.0
SOAK_PROBES = 1000
SOAK_WARM_UP = 100
# Python's allocator settles over the first thousand probes (a few MiB at most); a leak keeps
# growing in the last half as much as in the first.
SOAK_GROWTH_KIB = 6 * 1024
SOAK_LAST_HALF_KIB = 2 * 1024


@dataclass(frozen=True)
class Running:
    daemon: services.Daemon
    broken_bundle: Path  # the "broken" module's trust roots: a test deletes them


@pytest.fixture(scope="module")
def running(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    reason = ex.missing_prometheus()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("exporter")
    broken_bundle = folder / "soon-gone-roots.pem"
    shutil.copy(world.ca_bundle, broken_bundle)
    roots = str(world.ca_bundle)

    def catalogue(name: str, group: tuple[scenarios.Scenario, ...]) -> str:
        return str(world.scenario_catalogue(f"nce-{name}", group))

    config = ex.write_config(
        folder / "netcheck.yml",
        {
            "direct": {"catalogue": catalogue("healthy", HEALTHY), "ca_bundle": roots},
            "tiny": {"catalogue": catalogue("tiny", scenarios.GENUINE[:1]), "ca_bundle": roots},
            "proxied": {
                "catalogue": catalogue("proxied", scenarios.PROXY_PASSING),
                "ca_bundle": roots,
                "proxy": f"http://{plan.PROXY_USER}@{plan.PROXY}:{plan.PROXY_PORT}",
                "proxy_password_env": PASSWORD_VARIABLE,
            },
            "blackhole": {
                "catalogue": catalogue("blackhole", scenarios.BLACKHOLE[:1]),
                "ca_bundle": roots,
                "timeout": 8,
            },
            "broken": {
                "catalogue": catalogue("tiny", scenarios.GENUINE[:1]),
                "ca_bundle": str(broken_bundle),
            },
        },
    )
    daemon = ex.start_exporter(
        "nce-exporter",
        config,
        folder,
        "--max-probes",
        "4",
        env={PASSWORD_VARIABLE: plan.PROXY_PASSWORD},
    )
    world.daemons.append(daemon)
    try:
        yield Running(daemon, broken_bundle)
    finally:
        world.daemons.remove(daemon)
        daemon.stop()


def probe(module: str, **params: str) -> ex.Reply:
    return ex.get(ex.probe_url(module=module, **params))


def healthy_probe_text() -> str:
    reply = probe("direct")
    assert reply.status == 200, reply
    return reply.body


@contextmanager
def dropped(address: str) -> Iterator[None]:
    """The firewall drops everything to `address`, as a new firewall rule would."""
    rule = ["FORWARD", "-d", address, "-j", "DROP"]
    netns.sh("iptables", "-I", *rule, ns=plan.FW_NS)
    try:
        yield
    finally:
        netns.sh("iptables", "-D", *rule, ns=plan.FW_NS, check=False)


# ---------------------------------------------------------------- what /probe says


def test_probe_of_a_healthy_selection_has_every_family(running: Running) -> None:
    text = healthy_probe_text()
    assert ex.value(text, "probe_success") == 1
    assert 0 < ex.value(text, "probe_duration_seconds") < 10
    for scenario in HEALTHY:
        host = scenario.host
        assert ex.value(text, "netcheck_target_up", host=host, port="443") == 1
        assert ex.value(text, "netcheck_tls_intercepted", host=host, interceptor="") == 0
        steps = {
            ls["step"]
            for ls, _ in ex.samples(text, "netcheck_step_duration_seconds")
            if ls["host"] == host
        }
        assert steps == {"dns", "tcp", "tls", "http"}, steps
        # every presented certificate, not only the leaf: the leaf and its issuing CA
        chain = [
            ls
            for ls, _ in ex.samples(text, "netcheck_certificate_not_after_timestamp_seconds")
            if ls["host"] == host
        ]
        assert sorted(ls["depth"] for ls in chain) == ["0", "1"], chain
        assert chain[0]["subject"] and chain[0]["issuer"], chain
    assert ex.samples(text, "netcheck_finding") == []
    # the scenario catalogues are dated 2025-01-01
    assert ex.value(text, "netcheck_catalogue_date_timestamp_seconds") == 1735689600


def test_promtool_accepts_what_the_exporter_and_check_write(
    running: Running, world: World, tmp_path: Path
) -> None:
    lint = subprocess.run(
        ["promtool", "check", "metrics"], input=healthy_probe_text(), capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    metrics = ex.get(f"http://{ex.EXPORTER}/metrics")
    lint = subprocess.run(
        ["promtool", "check", "metrics"], input=metrics.body, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # check --format prometheus: the same families, for node_exporter's textfile collector
    textfile = tmp_path / "netcheck.prom"
    run = run_cli(
        world,
        "--region",
        "testland",
        "--catalogue",
        str(world.scenario_catalogue("nce-healthy", HEALTHY)),
        "--format",
        "prometheus",
        "--output",
        str(textfile),
    )
    assert run.exit_code == 0, run.describe()
    assert [p.name for p in tmp_path.iterdir()] == ["netcheck.prom"], "a temporary file was left"
    text = textfile.read_text()
    lint = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert ex.value(text, "probe_success") == 1
    assert ex.value(text, "netcheck_target_up", host=INSPECTED.host, port="443") == 1


def test_a_dropped_endpoint_is_down_with_its_finding(running: Running) -> None:
    with dropped(INSPECTED.address or ""):
        reply = probe("direct")
    assert reply.status == 200, reply
    assert ex.value(reply.body, "probe_success") == 0
    assert ex.value(reply.body, "netcheck_target_up", host=INSPECTED.host, port="443") == 0
    found = ex.value(
        reply.body, "netcheck_finding", host=INSPECTED.host, code="TCP_TIMEOUT", severity="fail"
    )
    assert found == 1
    assert (
        ex.value(reply.body, "netcheck_target_up", host=scenarios.GENUINE[0].host, port="443") == 1
    )


def test_interception_shows_with_the_products_name(
    running: Running, mitm_known: Interceptor
) -> None:
    assert mitm_known.transparent_port
    with interceptors.redirected({plan.INSPECTED_KNOWN: mitm_known.transparent_port}):
        reply = probe("direct")
    assert reply.status == 200, reply
    text = reply.body
    assert (
        ex.value(text, "netcheck_tls_intercepted", host=INSPECTED.host, interceptor="mitmproxy")
        == 1
    )
    assert (
        ex.value(text, "netcheck_tls_intercepted", host=scenarios.GENUINE[0].host, interceptor="")
        == 0
    )
    assert (
        ex.value(
            text, "netcheck_finding", host=INSPECTED.host, code="TLS_INTERCEPTED", severity="fail"
        )
        == 1
    )
    forged = [
        ls
        for ls, _ in ex.samples(text, "netcheck_certificate_not_after_timestamp_seconds")
        if ls["host"] == INSPECTED.host
    ]
    assert [ls["issuer"] for ls in forged] == ["O=mitmproxy,CN=mitmproxy"], forged


# ---------------------------------------------------------------- a real Prometheus


def test_prometheus_sees_the_path_break_within_two_scrape_intervals(
    running: Running, world: World, tmp_path: Path
) -> None:
    config = ex.prometheus_config(
        tmp_path, [{"region": "testland", "module": "direct"}], SCRAPE_INTERVAL
    )
    for checked in (ex.EXAMPLES / "prometheus.yml", config):
        done = subprocess.run(
            ["promtool", "check", "config", str(checked)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
    prometheus = ex.start_prometheus(config, tmp_path)
    world.daemons.append(prometheus)
    try:
        assert wait_for_probe_success(1.0, 6 * SCRAPE_INTERVAL) is not None, prometheus.log_tail()
        with dropped(INSPECTED.address or ""):
            seconds = wait_for_probe_success(0.0, 4 * SCRAPE_INTERVAL)
        assert seconds is not None, prometheus.log_tail()
        assert seconds <= 2 * SCRAPE_INTERVAL, seconds
        # the relabelling made the selection the instance, and its rules loaded
        series = ex.query('probe_success{job="netcheck"}')
        assert series[0]["metric"]["instance"] == "testland/direct", series
        rules = ex.get(f"http://127.0.0.1:{ex.PROMETHEUS_PORT}/api/v1/rules")
        assert "NetcheckTargetDown" in rules.body, rules
        assert ex.query('up{job="netcheck_exporter"}')[0]["value"][1] == "1"
    finally:
        world.daemons.remove(prometheus)
        prometheus.stop()


def wait_for_probe_success(wanted: float, limit: float) -> float | None:
    """Seconds until Prometheus's latest probe_success is `wanted`; None after `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        result = ex.query('probe_success{job="netcheck"}')
        if result and float(result[0]["value"][1]) == wanted:
            return time.monotonic() - started
        time.sleep(0.2)
    return None


# ---------------------------------------------------------------- secrets


def test_the_proxy_password_is_in_no_answer_and_no_log_line(running: Running) -> None:
    secret = plan.PROXY_PASSWORD
    answers = [
        probe("proxied"),  # it passes only if the password from the environment was used
        probe("proxied", workspace_id="not-a-guid"),
        probe("proxied", workspace_id=secret),  # even sent by someone who knows it
        probe("proxied", proxy=f"http://{plan.PROXY_USER}:{secret}@{plan.PROXY}:{plan.PROXY_PORT}"),
        ex.get(f"http://{ex.EXPORTER}/metrics"),
        ex.get(f"http://{ex.EXPORTER}/"),
    ]
    assert answers[0].status == 200 and ex.value(answers[0].body, "probe_success") == 1, answers[0]
    assert [a.status for a in answers[1:]] == [400, 400, 400, 200, 200], answers
    for answer in answers:
        assert secret not in answer.body, answer
    log = running.daemon.log.read_text()
    assert "GET /probe 200" in log, log
    assert secret not in log, log


# ---------------------------------------------------------------- reliability


def test_bad_requests_answer_400_with_one_line_and_the_server_keeps_serving(
    running: Running,
) -> None:
    cases = {
        "unknown region": ex.get(ex.probe_url(region="atlantis", module="direct")),
        "malformed GUID": probe("direct", automation_account_id="1234"),
        "unknown module": probe("nope"),
        "free target": probe("direct", target="example.com"),
        "bad flag": probe("direct", update_management="yes"),
    }
    for why, reply in cases.items():
        assert reply.status == 400, (why, reply)
        assert len(reply.body.strip().splitlines()) == 1, (why, reply)
    assert "target" in cases["free target"].body and "example.com" not in cases["free target"].body
    assert (
        "configured: blackhole, broken, default, direct, proxied, tiny"
        in cases["unknown module"].body
    )
    assert healthy_probe_text()


def test_a_failing_probe_answers_500_counts_and_the_server_keeps_serving(running: Running) -> None:
    errors_before = failed_count()
    running.broken_bundle.unlink()
    reply = probe("broken")
    assert reply.status == 500, reply
    assert reply.body.startswith("probe failed: ") and len(reply.body.strip().splitlines()) == 1, (
        reply
    )
    assert str(running.broken_bundle) in reply.body, reply
    assert failed_count() == errors_before + 1
    assert healthy_probe_text()


def failed_count() -> float:
    metrics = ex.get(f"http://{ex.EXPORTER}/metrics").body
    return ex.value(metrics, "netcheck_exporter_probe_errors_total", reason="failed")


def test_beyond_max_probes_the_answer_is_503_at_once(running: Running) -> None:
    """Four slow probes (a dropped endpoint: one step timeout, 2 s, each) hold every slot."""
    slow: list[ex.Reply] = []
    threads = [threading.Thread(target=lambda: slow.append(probe("blackhole"))) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_in_flight(f"http://{ex.EXPORTER}/metrics", 4)
    refused = probe("tiny")
    for thread in threads:
        thread.join()
    assert refused.status == 503, refused
    assert refused.seconds < 0.5, refused
    assert [r.status for r in slow] == [200] * 4, slow
    assert (
        ex.value(
            slow[0].body,
            "netcheck_finding",
            code="TCP_TIMEOUT",
            host=scenarios.BLACKHOLE[0].host,
            port="443",
            severity="fail",
        )
        == 1
    )
    assert probe("tiny").status == 200


def wait_in_flight(metrics_url: str, wanted: int, limit: float = 10.0) -> None:
    """Until the exporter says `wanted` probes are running."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if ex.value(ex.get(metrics_url).body, "netcheck_exporter_probes_in_flight") == wanted:
            return
        time.sleep(0.05)
    raise AssertionError(f"never {wanted} probes in flight")


def test_concurrent_scrapes_never_crash_the_server(running: Running, tmp_path: Path) -> None:
    urls = [
        ex.probe_url(module="tiny"),
        ex.probe_url(module="direct"),
        ex.probe_url(module="nope"),
    ] * 10
    urls += [f"http://{ex.EXPORTER}/metrics"] * 10
    codes = ex.get_many(urls, parallel=len(urls), folder=tmp_path)
    assert len(codes) == len(urls), codes
    assert set(codes) <= {200, 400, 503}, codes
    assert codes.count(400) == 10 and codes.count(200) >= 10 + 4, codes
    assert running.daemon.alive()
    assert healthy_probe_text()


def test_memory_stays_flat_over_a_thousand_probes(running: Running, tmp_path: Path) -> None:
    """RSS after a warm-up, halfway and at the end. Measured here: +1.0 MiB, then +0.7 MiB,
    settling (3,000 probes: under 50 KiB per 250 at the end); a leak of 5 KiB per probe
    would add 2.2 MiB to each half."""
    url = ex.probe_url(module="tiny")
    half = (SOAK_PROBES - SOAK_WARM_UP) // 2
    rss = []
    started = time.monotonic()
    for count in (SOAK_WARM_UP, half, half):
        codes = ex.get_many([url] * count, parallel=4, folder=tmp_path)
        assert codes == [200] * count, sorted(set(codes))
        rss.append(ex.rss_kib(running.daemon))
    seconds = time.monotonic() - started
    assert rss[2] - rss[0] < SOAK_GROWTH_KIB, (rss, seconds)
    assert rss[2] - rss[1] < SOAK_LAST_HALF_KIB, (rss, seconds)
    metrics = ex.get(f"http://{ex.EXPORTER}/metrics").body
    assert ex.value(metrics, "netcheck_exporter_probes_total", module="tiny") >= SOAK_PROBES


def test_sigterm_lets_the_probe_in_flight_finish(
    world: World, running: Running, tmp_path: Path
) -> None:
    """A second exporter on a port of its own: SIGTERM while a slow probe runs."""
    config = ex.write_config(
        tmp_path / "netcheck.yml",
        {
            "blackhole": {
                "catalogue": str(
                    world.scenario_catalogue("nce-blackhole", scenarios.BLACKHOLE[:1])
                ),
                "timeout": 4,
            }
        },
    )
    port = ex.EXPORTER_PORT + 1
    daemon = ex.start_exporter("nce-exporter-sigterm", config, tmp_path, port=port)
    try:
        answers: list[ex.Reply] = []
        url = f"http://127.0.0.1:{port}/probe?region=testland&module=blackhole"
        thread = threading.Thread(target=lambda: answers.append(ex.get(url)))
        thread.start()
        wait_in_flight(f"http://127.0.0.1:{port}/metrics", 1)
        daemon.process.send_signal(signal.SIGTERM)
        thread.join()
        assert daemon.process.wait(timeout=10) == 0
        assert answers[0].status == 200, answers
        log = daemon.log.read_text()
        assert "SIGTERM: finishing the probes in flight" in log and log.rstrip().endswith(
            "stopped"
        ), log
    finally:
        daemon.stop()
