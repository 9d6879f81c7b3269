"""Every rule format: none forgotten, each deterministic, each with its header and its rules."""

from __future__ import annotations

import pytest

from netcheck.allowlist import HEADERLESS, TAKES_ADDRESSES
from netcheck.cli.rules import rules
from netcheck.formats import RULES_RENDERERS as RENDERERS
from netcheck.formats import RulesFormat as Format

from .support import FULL, TAGS, WORKSPACE, Netcheck


def _args(fmt: Format) -> list[str]:
    extra = ["--service-tags", TAGS] if fmt in TAKES_ADDRESSES else []
    if fmt is Format.PAC:
        extra += ["--pac-proxy", "proxy.corp.example:3128"]
    return [*FULL, "--format", fmt.value, *extra]


def test_every_format_has_a_renderer() -> None:
    assert list(RENDERERS) == list(Format)
    for fmt in Format:
        assert callable(RENDERERS.renderer(fmt)), fmt


def test_the_cli_offers_exactly_the_formats() -> None:
    option = next(p for p in rules.params if p.name == "fmt")
    assert list(option.type.choices) == [f.value for f in Format]  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", list(Format), ids=lambda f: f.value)
def test_output_is_deterministic(netcheck: Netcheck, fmt: Format) -> None:
    first = netcheck.rules(*_args(fmt))
    assert first == netcheck.rules(*_args(fmt))
    assert first.endswith("\n")


@pytest.mark.parametrize("fmt", sorted(set(Format) - HEADERLESS), ids=lambda f: f.value)
def test_header_names_version_catalogue_date_options_and_gaps(
    netcheck: Netcheck, fmt: Format
) -> None:
    out = netcheck.rules(*_args(fmt))
    assert "0.0.0-test" in out
    assert "2025-06-30" in out
    assert f"--format {fmt.value}" in out or f'"--format": "{fmt.value}"' in out
    assert "Not covered" in out or "notCovered" in out or "not_covered" in out


@pytest.mark.parametrize("fmt", sorted(HEADERLESS), ids=lambda f: f.value)
def test_headerless_formats_put_their_header_on_stderr(netcheck: Netcheck, fmt: Format) -> None:
    run = netcheck("rules", *_args(fmt))
    assert run.code == 0
    assert "0.0.0-test" in run.err and "2025-06-30" in run.err
    assert "0.0.0-test" not in run.out


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (Format.LIST, "*.azure-automation.net\n"),
        (Format.SQUID, "acl netcheck_hrw_443 dstdomain .azure-automation.net\n"),
        (Format.PAC, '".azure-automation.net"'),
        (Format.NO_PROXY, ".azure-automation.net,"),
        (Format.TLS_BYPASS, "*.azure-automation.net\n"),
        (Format.AZURE_FIREWALL, '"*.azure-automation.net"'),
        (Format.AZURE_FIREWALL_CLI, "--target-fqdns '*.azure-automation.net'"),
    ],
    ids=lambda v: v.value if isinstance(v, Format) else "",
)
def test_wildcards_are_spelled_the_way_each_format_reads_them(
    netcheck: Netcheck, fmt: Format, expected: str
) -> None:
    assert expected in netcheck.rules(*_args(fmt))


@pytest.mark.parametrize(
    "fmt", [Format.SQUID, Format.PAC, Format.NO_PROXY, Format.TLS_BYPASS, Format.AZURE_FIREWALL]
)
def test_suffix_matching_formats_leave_out_hosts_a_wildcard_allows(
    netcheck: Netcheck, fmt: Format
) -> None:
    out = netcheck.rules(*_args(fmt))
    assert "azure-automation.net" in out
    assert "tr-jobruntimedata-prod-su1.azure-automation.net" not in out


def test_list_keeps_every_host_and_labels_the_port_80_section(netcheck: Netcheck) -> None:
    out = netcheck.rules(*_args(Format.LIST))
    body = [line for line in out.splitlines() if line and not line.startswith("#  ")]
    assert "tr-jobruntimedata-prod-su1.azure-automation.net" in body
    https = body.index("# HTTPS, TCP 443")
    http = next(i for i, line in enumerate(body) if line.startswith("# plain HTTP, TCP 80"))
    assert "certificate downloads and revocation checks" in body[http]
    assert https < http < body.index("ocsp.digicert.com")


def test_revocation_hosts_only_with_the_option(netcheck: Netcheck) -> None:
    without = [a for a in FULL if a != "--include-revocation"]
    out = netcheck.rules(*without, "--format", "list")
    assert "\nocsp.digicert.com\n" not in out
    assert "revocation hosts (plain HTTP, TCP 80): add --include-revocation" in out
    assert "\nocsp.digicert.com\n" in netcheck.rules(*FULL, "--format", "list")


def test_squid_allows_https_by_connect_and_port_80_by_plain_requests(netcheck: Netcheck) -> None:
    out = netcheck.rules(*_args(Format.SQUID))
    assert "http_access allow netcheck_hrw_connect netcheck_hrw_443_port netcheck_hrw_443\n" in out
    assert "http_access allow !netcheck_hrw_connect netcheck_hrw_80_port netcheck_hrw_80\n" in out
    assert "acl netcheck_hrw_80 dstdomain ocsp.digicert.com\n" in out


def test_no_proxy_is_one_comma_separated_line(netcheck: Netcheck) -> None:
    out = netcheck.rules(*_args(Format.NO_PROXY))
    assert out.count("\n") == 1
    values = out.strip().split(",")
    assert values == sorted(values, key=lambda v: (v.startswith("."), v))
    assert "login.microsoftonline.com" in values and ".his.arc.azure.com" in values


def test_tls_bypass_lists_only_flagged_destinations_with_product_terms(
    netcheck: Netcheck,
) -> None:
    out = netcheck.rules(*_args(Format.TLS_BYPASS))
    body = [line for line in out.splitlines() if not line.startswith("#")]
    # the account's and the region's hosts fall under the flagged wildcard; sign-in is not flagged
    assert body == [f"{WORKSPACE}.ods.opinsights.azure.com", "*.azure-automation.net"]
    assert "Zscaler: an SSL Inspection policy rule with action 'Do Not Inspect'" in out
