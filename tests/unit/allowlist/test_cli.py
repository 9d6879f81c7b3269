"""`netcheck rules` options: what each format needs, bad input as one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import FULL, TAGS, Netcheck


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "iptables"],
            "--format iptables matches addresses, not names: give --service-tags FILE",
        ),
        (
            ["--format", "windows-firewall"],
            "--format windows-firewall matches addresses, not names",
        ),
        (
            ["--format", "squid", "--service-tags", TAGS],
            "--service-tags and --resolve apply only to --format ip6tables, iptables, json, "
            "nftables, windows-firewall",
        ),
        (["--format", "list", "--resolve"], "--service-tags and --resolve apply only to"),
        (
            ["--format", "list", "--pac-proxy", "proxy:3128"],
            "--pac-proxy applies only to --format pac, not --format list",
        ),
        (["--format", "pac", "--pac-proxy", "proxy"], "--pac-proxy 'proxy': expected HOST:PORT"),
        (["--format", "pac", "--pac-proxy", "proxy:99999"], "expected HOST:PORT"),
        (["--format", "pac", "--pac-proxy", 'a"b:3128'], "expected HOST:PORT"),
    ],
)
def test_bad_combinations_exit_2_with_one_line(
    netcheck: Netcheck, args: list[str], message: str
) -> None:
    run = netcheck("rules", *FULL, *args)
    assert run.code == 2
    assert run.out == ""
    assert run.err.startswith("netcheck: error: ")
    assert message in run.err
    assert run.err.count("\n") == 1


def test_an_unknown_format_lists_the_choices(netcheck: Netcheck) -> None:
    run = netcheck("rules", *FULL, "--format", "cisco")
    assert run.code == 2
    assert "'list'" in run.err and "'tls-bypass'" in run.err


def test_selection_errors_are_those_of_check(netcheck: Netcheck) -> None:
    run = netcheck("rules", "--region", "atlantis")
    assert run.code == 2
    assert "unknown region 'atlantis'" in run.err


def test_output_writes_the_file_and_says_so(netcheck: Netcheck, tmp_path: Path) -> None:
    target = tmp_path / "hrw.squid"
    run = netcheck("rules", *FULL, "--format", "squid", "--output", str(target))
    assert run.code == 0
    assert run.out == ""
    assert str(target) in run.err
    assert "acl netcheck_hrw_443 dstdomain .azure-automation.net" in target.read_text()


def test_pac_proxy_sets_the_route(netcheck: Netcheck) -> None:
    out = netcheck.rules(*FULL, "--format", "pac", "--pac-proxy", "Proxy.Corp.Example:3128")
    assert 'return "PROXY Proxy.Corp.Example:3128";' in out
    assert "--pac-proxy Proxy.Corp.Example:3128" in out
    direct = netcheck.rules(*FULL, "--format", "pac")
    assert 'if (netcheckHybridWorker(host)) return "DIRECT";' in direct
    assert "--pac-proxy not given (DIRECT)" in direct


def test_ipv6_pac_proxy_is_accepted(netcheck: Netcheck) -> None:
    out = netcheck.rules(*FULL, "--format", "pac", "--pac-proxy", "[2001:db8::8]:8080")
    assert 'return "PROXY [2001:db8::8]:8080";' in out


def test_the_address_formats_run_with_service_tags(netcheck: Netcheck) -> None:
    for fmt in ("iptables", "ip6tables", "nftables", "windows-firewall", "json"):
        assert netcheck.rules(*FULL, "--format", fmt, "--service-tags", TAGS)
