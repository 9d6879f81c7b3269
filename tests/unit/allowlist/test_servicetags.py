"""Service tag files and DNS answers as the addresses of the address-based formats."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from netcheck.allowlist.attach_addresses import merge
from netcheck.allowlist.servicetags import lookup, lookup_regional, parse
from netcheck.errors import UsageError
from netcheck.models import DnsObservation, Outcome
from netcheck.probes import resolve as resolve_module

from .support import DATA, FULL, LEGACY_XML, TAGS, Netcheck


def _tags_json() -> dict[str, object]:
    data: dict[str, object] = json.loads((DATA / Path(TAGS).name).read_text(encoding="utf-8"))
    return data


def _rules_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("-A ")]


# ---------------------------------------------------------------- parsing


def test_the_json_schema_is_read() -> None:
    tags = parse("tags.json", (DATA / Path(TAGS).name).read_text(encoding="utf-8"))
    assert (tags.cloud, tags.change_number, tags.legacy) == ("Public", 321, False)
    assert tags.tags["AzureActiveDirectory"] == (
        ipaddress.ip_network("192.0.2.0/28"),
        ipaddress.ip_network("2001:db8:10::/48"),
    )
    assert "Storage.WestEurope" in tags.tags
    assert lookup([tags], "NoSuchTag") is None


def test_a_byte_order_mark_is_accepted(netcheck: Netcheck, tmp_path: Path) -> None:
    with_bom = tmp_path / "ServiceTags_Public_bom.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + (DATA / Path(TAGS).name).read_bytes())
    assert _rules_lines(
        netcheck.rules(*FULL, "--format", "iptables", "--service-tags", str(with_bom))
    )


def test_prefixes_of_several_files_add_up() -> None:
    first = parse("a.json", json.dumps({"values": [_tag("T", ["192.0.2.0/25"])]}))
    second = parse("b.json", json.dumps({"values": [_tag("T", ["192.0.2.128/25"])]}))
    assert merge(lookup([first, second], "T") or ()) == (ipaddress.ip_network("192.0.2.0/24"),)


def _tag(name: str, prefixes: list[str]) -> dict[str, object]:
    return {"name": name, "id": name, "properties": {"addressPrefixes": prefixes}}


def test_merge_collapses_and_keeps_families_apart() -> None:
    merged = merge(
        ipaddress.ip_network(n)
        for n in ("2001:db8:0:1::/64", "198.51.100.128/25", "2001:db8::/48", "198.51.100.0/25")
    )
    assert [str(n) for n in merged] == ["198.51.100.0/24", "2001:db8::/48"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json at all", "not JSON"),
        ("{}", "no 'values' list"),
        ('{"values": [{"id": "x"}]}', "values[0].name: missing"),
        ('{"values": [{"name": "T", "properties": {}}]}', "addressPrefixes: must be a list"),
        (
            '{"values": [{"name": "T", "properties": {"addressPrefixes": ["300.1.2.0/24"]}}]}',
            "'300.1.2.0/24' is not an address prefix",
        ),
        (
            '{"values": [{"name": "T", "properties": {"addressPrefixes": ["2001:db8:50::/40"]}}]}',
            "'2001:db8:50::/40' is not an address prefix",
        ),
        ("<AzurePublicIpAddresses/>", "no <Region>"),
        ("<unclosed>", "not well-formed XML"),
        ('<!DOCTYPE x [<!ENTITY a "b">]><x/>', "DOCTYPE is not accepted"),
    ],
)
def test_a_broken_file_is_a_usage_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=r"--service-tags broken\.json") as caught:
        parse("broken.json", text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_legacy_datacenter_xml_stands_in_for_every_tag() -> None:
    legacy = parse("PublicIPs.xml", (DATA / Path(LEGACY_XML).name).read_text(encoding="utf-8"))
    assert legacy.legacy
    assert merge(lookup([legacy], "AzureMonitor") or ()) == (
        ipaddress.ip_network("198.51.100.0/24"),
        ipaddress.ip_network("203.0.113.0/24"),
    )


# ---------------------------------------------------------------- through the CLI


def test_iptables_gets_merged_ipv4_and_ip6tables_the_ipv6_prefixes(netcheck: Netcheck) -> None:
    v4 = _rules_lines(netcheck.rules(*FULL, "--format", "iptables", "--service-tags", TAGS))
    assert v4 == [
        "-A NETCHECK-HRW -d 192.0.2.0/28 -p tcp -m tcp --dport 443 -j ACCEPT",
        "-A NETCHECK-HRW -d 198.51.100.0/24 -p tcp -m tcp --dport 443 -j ACCEPT",
    ]
    v6 = _rules_lines(netcheck.rules(*FULL, "--format", "ip6tables", "--service-tags", TAGS))
    assert v6 == [
        "-A NETCHECK-HRW -d 2001:db8:10::/48 -p tcp -m tcp --dport 443 -j ACCEPT",
        "-A NETCHECK-HRW -d 2001:db8:20::/48 -p tcp -m tcp --dport 443 -j ACCEPT",
        "-A NETCHECK-HRW -d 2001:db8:40::/48 -p tcp -m tcp --dport 443 -j ACCEPT",
    ]


def test_the_header_names_the_file_and_what_has_no_addresses(netcheck: Netcheck) -> None:
    out = netcheck.rules(*FULL, "--format", "nftables", "--service-tags", TAGS)
    assert "ServiceTags_Public_20250630.json (cloud Public, changeNumber" in out
    assert "#   *.his.arc.azure.com:443: a wildcard has no addresses of its own" in out
    assert "#   ods.systemcenteradvisor.com:443: no addresses: no service tag" in out
    assert "#   ocsp.digicert.com:80: no addresses" in out


def test_a_missing_tag_exits_2_with_one_clear_line(netcheck: Netcheck, tmp_path: Path) -> None:
    data = _tags_json()
    values = data["values"]
    assert isinstance(values, list)
    data["values"] = [v for v in values if v["name"] != "AzureMonitor"]
    partial = tmp_path / "ServiceTags_Public_partial.json"
    partial.write_text(json.dumps(data), encoding="utf-8")
    run = netcheck("rules", *FULL, "--format", "iptables", "--service-tags", str(partial))
    assert run.code == 2
    assert run.out == ""
    assert run.err.startswith(
        "netcheck: error: --service-tags: no tag 'AzureMonitor' (nor a regional AzureMonitor.* "
        "for testregion) in ServiceTags_Public_partial.json"
    )
    assert "11111111-2222-3333-4444-555555555555.ods.opinsights.azure.com" in run.err
    assert run.err.count("\n") == 1 and "Traceback" not in run.err


def test_the_regional_tag_is_preferred_and_the_global_one_is_the_fallback() -> None:
    tags = parse(
        "tags.json",
        json.dumps(
            {
                "values": [
                    _tag("Storage", ["203.0.113.0/25"]),
                    {
                        **_tag("Storage.WestEurope", ["203.0.113.0/26"]),
                        "properties": {
                            "region": "westeurope",
                            "addressPrefixes": ["203.0.113.0/26"],
                        },
                    },
                ]
            }
        ),
    )
    assert lookup_regional([tags], "Storage", "westeurope") == (
        "Storage.WestEurope",
        (ipaddress.ip_network("203.0.113.0/26"),),
    )
    assert lookup_regional([tags], "Storage", "eastus") == (
        "Storage",
        (ipaddress.ip_network("203.0.113.0/25"),),
    )
    assert lookup_regional([tags], "AzureMonitor", "westeurope") is None


def test_a_regional_tag_alone_is_enough(netcheck: Netcheck, tmp_path: Path) -> None:
    """Only the regional twin of a tag the catalogue names: the rules use it, no exit 2."""
    data = _tags_json()
    values = [v for v in data["values"] if v["name"] != "AzureMonitor"]  # type: ignore[attr-defined]
    values.append(
        {
            "name": "AzureMonitor.TestRegion",
            "id": "AzureMonitor.TestRegion",
            "properties": {"region": "testregion", "addressPrefixes": ["198.51.100.0/27"]},
        }
    )
    data["values"] = values
    regional = tmp_path / "ServiceTags_Public_regional.json"
    regional.write_text(json.dumps(data), encoding="utf-8")
    run = netcheck("rules", *FULL, "--format", "iptables", "--service-tags", str(regional))
    assert run.code == 0, run.err
    assert "Regional tags, narrower than their global ones: AzureMonitor.TestRegion." in run.out
    assert "-A NETCHECK-HRW -d 198.51.100.0/27 -p tcp -m tcp --dport 443 -j ACCEPT" in run.out


def test_an_unreadable_file_exits_2(netcheck: Netcheck, tmp_path: Path) -> None:
    run = netcheck(
        "rules", *FULL, "--format", "iptables", "--service-tags", str(tmp_path / "absent.json")
    )
    assert run.code == 2
    assert "cannot read --service-tags" in run.err and "absent.json" in run.err


def test_the_legacy_file_is_accepted_and_labelled(netcheck: Netcheck) -> None:
    out = netcheck.rules(*FULL, "--format", "iptables", "--service-tags", LEGACY_XML)
    assert "a legacy datacenter IP file" in out
    assert "-A NETCHECK-HRW -d 203.0.113.0/24 -p tcp -m tcp --dport 443 -j ACCEPT" in out


def test_resolve_adds_todays_answers_with_a_loud_warning(
    netcheck: Netcheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = {
        "ocsp.digicert.com": DnsObservation(Outcome.OK, ("192.0.2.53",), ("192.0.2.80",)),
        "ods.systemcenteradvisor.com": DnsObservation(Outcome.NXDOMAIN, ("192.0.2.53",)),
    }

    async def fake(host: str, resolver: object) -> DnsObservation:
        return answers.get(host, DnsObservation(Outcome.OK, ("192.0.2.53",), ("2001:db8:99::1",)))

    monkeypatch.setattr(resolve_module, "resolve", fake)
    out = netcheck.rules(*FULL, "--format", "iptables", "--resolve")
    assert "ADDRESSES FROM DNS (--resolve)" in out and "WILL" in out
    assert "-A NETCHECK-HRW -d 192.0.2.80/32 -p tcp -m tcp --dport 80 -j ACCEPT" in out
    assert "ods.systemcenteradvisor.com:443: no addresses" in out and "nxdomain" in out
    # a wildcard has no answer of its own
    assert "*.azure-automation.net:443: a wildcard has no addresses of its own" in out
    v6 = netcheck.rules(*FULL, "--format", "ip6tables", "--resolve")
    assert "-A NETCHECK-HRW -d 2001:db8:99::1/128 -p tcp -m tcp --dport 443 -j ACCEPT" in v6


def test_json_lists_the_addresses_per_entry(netcheck: Netcheck) -> None:
    document = json.loads(netcheck.rules(*FULL, "--format", "json", "--service-tags", TAGS))
    by_host = {e["host"]: e for e in document["entries"]}
    assert by_host["login.microsoftonline.com"]["addresses"] == [
        "192.0.2.0/28",
        "2001:db8:10::/48",
    ]
    assert by_host["*.his.arc.azure.com"]["addresses"] == []
    assert any("*.his.arc.azure.com" in line for line in document["not_covered"])
