"""The proxy on Windows as the worker sees it: its own setting, then WinHTTP (with its bypass
list, per host), then LocalSystem's WinINET and its PAC file, run by a real JavaScript engine;
environment variables are shown but never win. Every packet stays on loopback: the PAC file is
served from 127.0.0.1 and every proxy is a closed loopback port."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from netcheck.catalogue import load_catalogue
from netcheck.check_run import probe_settings
from netcheck.diagnose import pac, proxy_choice
from netcheck.diagnose.diagnose_run import run_diagnose
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.windows_proxy import LOCAL_SYSTEM_KEY, WINHTTP_KEY
from netcheck.diagnose.windows_registry import WinRegistry
from netcheck.models import ProbeSettings, ProxySettings
from netcheck.proxy_url import bypassed

from .builders import ACCOUNT
from .winfakes import FakeWinreg, View, binary, recorded, sz, winhttp_blob

WINHTTP = proxy_choice.candidate("winhttp.corp:8080", "WinHTTP", "WinHttpSettings")
ENV = {"HTTPS_PROXY": "http://env-proxy:3128"}
PAC_SCRIPT = """
function FindProxyForURL(url, host) {
    if (shExpMatch(host, "*.azure-automation.net")) return "PROXY 127.0.0.1:%d; DIRECT";
    if (dnsDomainIs(host, ".opinsights.azure.com")) return "SOCKS 127.0.0.1:1080";
    return "DIRECT";
}
"""


def test_on_windows_winhttp_wins_over_the_environment() -> None:
    choice = proxy_choice.choose(None, [], ENV, [WINHTTP], windows=True)
    assert choice.used is WINHTTP
    (env,) = [c for c in choice.candidates if c.source == "environment"]
    assert env.ignored is not None and "Windows services" in env.ignored


def test_on_windows_nothing_but_the_environment_is_direct() -> None:
    choice = proxy_choice.choose(None, [], ENV, [], windows=True)
    assert choice.used is None and [c.source for c in choice.candidates] == ["environment"]


def test_the_workers_own_setting_still_wins_on_windows() -> None:
    own = proxy_choice.candidate("ext-proxy:3128", "extension setting", "0.settings")
    assert proxy_choice.choose(None, [own], ENV, [WINHTTP], windows=True).used is own


def test_winhttp_bypass_list_applies_per_host() -> None:
    bypass = ("<local>", "*.contoso.com", "https://*.blob.core.windows.net:443")
    assert bypassed("intranet", bypass)
    assert bypassed("API.Contoso.com", bypass)
    assert bypassed("x.blob.core.windows.net", bypass)
    assert not bypassed("x.azure-automation.net", bypass)
    proxy = ProxySettings("winhttp.corp", 8080)
    settings = ProbeSettings(5, (), proxy=proxy, bypass=bypass)
    assert settings.proxy_for("a.contoso.com") is None
    assert settings.proxy_for("x.azure-automation.net") is proxy


def test_pac_answers_per_host_with_a_real_engine() -> None:
    script = PAC_SCRIPT % 3128
    result = pac.evaluate(
        "http://pac",
        script,
        None,
        ["a.azure-automation.net", "w.oms.opinsights.azure.com", "x.blob.core.windows.net"],
    )
    proxied, socks, direct = result.decisions
    assert proxied.answer == "PROXY 127.0.0.1:3128; DIRECT"
    assert proxied.settings == ProxySettings("127.0.0.1", 3128)
    assert socks.settings is None and "SOCKS" in (socks.problem or "")
    assert direct.answer == "DIRECT" and direct.settings is None and direct.problem is None


def test_a_broken_pac_file_is_a_problem_not_a_crash() -> None:
    result = pac.evaluate("http://pac", "function FindProxyForURL(url, host) {", None, ["h"])
    assert result.decisions == () and "does not run" in (result.problem or "")


def test_a_pac_file_that_never_answers_is_a_problem_not_a_hang() -> None:
    looping = "function FindProxyForURL(url, host) { while (true) {} }"
    result = pac.evaluate("http://pac", looping, None, ["h"], seconds=0.5)
    assert result.decisions == () and "did not answer within 0.5 s" in (result.problem or "")


@pytest.fixture
def pac_server(closed_port: int) -> Iterator[str]:
    body = (PAC_SCRIPT % closed_port).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/proxy.pac"
    finally:
        server.shutdown()
        server.server_close()


def windows_diagnose(tmp_path: Path, view: View, environment: dict[str, str]):  # type: ignore[no-untyped-def]
    """diagnose on a fake Windows host: an extension worker for westeurope, the given
    registry, DNS on loopback, and no command but sc."""
    url = f"https://{ACCOUNT}.jrds.we.azure-automation.net/automationAccounts/{ACCOUNT}"
    settings_file = (
        tmp_path
        / "Packages/Plugins/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForWindows"
        / "1.1.13/RuntimeSettings/0.settings"
    )
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(
        '{"runtimeSettings": [{"handlerSettings": {"publicSettings": '
        f'{{"AutomationAccountURL": "{url}"}}}}}}]}}'
    )
    return run_diagnose(
        files=HostFiles(tmp_path),
        runner=recorded(
            {
                ("sc", "query", "HybridWorkerService"): (
                    0,
                    "sc_query_hybridworkerservice_running.txt",
                )
            }
        ),
        registry=WinRegistry(FakeWinreg(view)),
        on_windows=True,
        environment=environment,
        catalogue=load_catalogue(None),
        region=None,
        proxy_override=None,
        settings=probe_settings(None, "127.0.0.1", 0.3, 64),
        canary_label="netcheck-canary-test",
    )


def test_diagnose_probes_each_host_as_the_pac_file_says(
    tmp_path: Path, pac_server: str, closed_port: int
) -> None:
    view: View = {LOCAL_SYSTEM_KEY: {"AutoConfigURL": sz(pac_server)}}
    diagnosis = windows_diagnose(tmp_path, view, ENV)
    assert diagnosis.proxy.used is not None and diagnosis.proxy.used.pac == pac_server
    assert "decided by PAC" in diagnosis.proxy.why
    (pac_finding,) = [f for f in diagnosis.agent_findings if f.code == "PROXY_DECIDED_BY_PAC"]
    answers = pac_finding.evidence["answers"]
    automation = [h for h in answers if h.endswith(".azure-automation.net")]
    assert automation and all(answers[h].startswith("PROXY 127.0.0.1:") for h in automation)
    via = {
        r.target.host: r.observation.via_proxy for r in diagnosis.report.results if r.observation
    }
    assert via[automation[0]] == f"http://127.0.0.1:{closed_port}"
    assert all(via[h] is None for h in via if h.endswith(".blob.core.windows.net"))
    assert "env-proxy" not in str(via)  # HTTPS_PROXY is not seen by the worker's service


def test_diagnose_with_a_pac_file_that_cannot_be_fetched(tmp_path: Path, closed_port: int) -> None:
    view: View = {LOCAL_SYSTEM_KEY: {"AutoConfigURL": sz(f"http://127.0.0.1:{closed_port}/p.pac")}}
    diagnosis = windows_diagnose(tmp_path, view, {})
    (unreadable,) = [f for f in diagnosis.agent_findings if f.code == "PROXY_PAC_UNREADABLE"]
    assert "decided by PAC" in unreadable.message and "cannot fetch" in unreadable.message


def test_diagnose_goes_through_winhttp_except_for_bypassed_hosts(
    tmp_path: Path, closed_port: int
) -> None:
    view: View = {
        WINHTTP_KEY: {
            "WinHttpSettings": binary(
                winhttp_blob(f"127.0.0.1:{closed_port}", "*.blob.core.windows.net")
            )
        }
    }
    diagnosis = windows_diagnose(tmp_path, view, ENV)
    assert diagnosis.proxy.used is not None and diagnosis.proxy.used.source == "WinHTTP"
    via = {
        r.target.host: r.observation.via_proxy for r in diagnosis.report.results if r.observation
    }
    assert via[f"{ACCOUNT}.jrds.we.azure-automation.net"] == f"http://127.0.0.1:{closed_port}"
    assert all(v is None for h, v in via.items() if h.endswith(".blob.core.windows.net"))
    # every required target fails at the WinHTTP proxy: the run-level cause comes first
    assert [c.code for c in diagnosis.causes[:2]] == ["ROOT_PROXY", "PROXY_UNREACHABLE"]


def test_a_pac_file_on_disk(tmp_path: Path) -> None:
    from netcheck.probes.pac import fetch_pac

    path = tmp_path / "proxy.pac"
    path.write_text(PAC_SCRIPT % 8080)
    script, problem = fetch_pac(path.as_uri(), 1)
    assert problem is None and script is not None and "FindProxyForURL" in script


def test_the_reports_show_the_pac_answers_and_the_ignored_environment(
    tmp_path: Path, pac_server: str
) -> None:
    import json

    from netcheck.formats import DIAGNOSE_RENDERERS as RENDERERS
    from netcheck.formats import Format

    view: View = {LOCAL_SYSTEM_KEY: {"AutoConfigURL": sz(pac_server)}}
    diagnosis = windows_diagnose(tmp_path, view, ENV)
    table = RENDERERS.render(diagnosis, Format.TABLE)
    assert "PAC for " in table and "also set: http://env-proxy:3128 in HTTPS_PROXY" in table
    proxy = json.loads(RENDERERS.render(diagnosis, Format.JSON))["agent"]["proxy"]
    assert proxy["used"]["pac"] == pac_server and proxy["pac"]["answers"]
    (env,) = [c for c in proxy["candidates"] if c["source"] == "environment"]
    assert "Windows services" in env["ignored"]
