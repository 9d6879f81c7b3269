"""Which proxy the worker uses: its own setting, then the environment, then WinHTTP."""

from __future__ import annotations

import pytest

from netcheck.diagnose import proxy_choice
from netcheck.errors import UsageError

CONFIGURED = proxy_choice.candidate(
    "http://svc:Conf-S3cret@proxy.corp:3128", "omsagent proxy.conf", "/etc/opt/x/proxy.conf"
)
WINHTTP = proxy_choice.candidate("winhttp.corp:8080", "WinHTTP", "netsh winhttp show proxy")
ENV = {"HTTPS_PROXY": "http://env-proxy:3128", "NO_PROXY": "localhost,.corp"}


def test_the_workers_own_setting_wins_over_the_environment_and_winhttp() -> None:
    choice = proxy_choice.choose(None, [CONFIGURED], ENV, [WINHTTP])
    assert choice.used is CONFIGURED
    assert "own configuration (/etc/opt/x/proxy.conf)" in choice.why
    assert [c.source for c in choice.candidates] == [
        "omsagent proxy.conf",
        "environment",
        "WinHTTP",
    ]
    assert choice.no_proxy == "localhost,.corp"


def test_the_environment_wins_when_the_worker_has_none() -> None:
    choice = proxy_choice.choose(None, [], ENV, [WINHTTP])
    assert choice.used is not None and choice.used.location == "HTTPS_PROXY"
    assert "environment" in choice.why


def test_lower_case_https_proxy_is_read_first() -> None:
    choice = proxy_choice.choose(None, [], {"https_proxy": "a:1", "HTTPS_PROXY": "b:2"}, ())
    assert choice.used is not None and choice.used.location == "https_proxy"


def test_winhttp_last_and_direct_when_nothing_is_set() -> None:
    assert proxy_choice.choose(None, [], {}, [WINHTTP]).used is WINHTTP
    direct = proxy_choice.choose(None, [], {}, ())
    assert direct.used is None and "directly" in direct.why


def test_override_wins_over_everything() -> None:
    given = proxy_choice.given("http://cli-proxy:8080")
    choice = proxy_choice.choose(given, [CONFIGURED], ENV, [WINHTTP])
    assert choice.used is given and choice.why.startswith("--proxy was given")


def test_bad_override_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        proxy_choice.given("ftp://x:1")


def test_an_unusable_worker_setting_still_wins_and_is_reported() -> None:
    https = proxy_choice.candidate("https://u:Hidden1@proxy:443", "omsagent proxy.conf", "/p.conf")
    choice = proxy_choice.choose(None, [https], ENV, ())
    assert choice.used is https
    assert "probes go directly" in choice.why
    (found,) = proxy_choice.judge(choice)
    assert found.code == "AGENT_PROXY_UNUSABLE"
    assert "Hidden1" not in found.message and "u:***@" in found.message


def test_malformed_setting_keeps_the_problem_without_the_password() -> None:
    bad = proxy_choice.candidate(
        "http://u:Hidden2@proxy:notaport", "extension setting", "x.settings"
    )
    assert bad.settings is None and "port" in (bad.problem or "")
    assert "Hidden2" not in (bad.problem or "") + bad.shown


def test_scheme_less_setting_is_http() -> None:
    plain = proxy_choice.candidate("user:pw@proxy.corp", "omsagent proxy.conf", "p")
    assert plain.settings is not None and (plain.settings.host, plain.settings.port) == (
        "proxy.corp",
        80,
    )
    assert plain.shown == "user:***@proxy.corp"
