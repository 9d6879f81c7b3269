"""The shipped catalogue's facts, and the one-line errors of a broken catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from netcheck.catalogue import load_catalogue
from netcheck.errors import UsageError
from netcheck.models import Catalogue, Region

# Reference §1.1 (automation-region-dns-records.md, 07/29/2024): ARM name, code, domain.
REFERENCE_1_1 = [
    ("southafricanorth", "san", "azure-automation.net"),
    ("eastasia", "ea", "azure-automation.net"),
    ("southeastasia", "sea", "azure-automation.net"),
    ("australiacentral", "ac", "azure-automation.net"),
    ("australiacentral2", "cbr2", "azure-automation.net"),
    ("australiasoutheast", "ase", "azure-automation.net"),
    ("australiaeast", "ae", "azure-automation.net"),
    ("brazilsouth", "brs", "azure-automation.net"),
    ("brazilsoutheast", "brse", "azure-automation.net"),
    ("canadacentral", "cc", "azure-automation.net"),
    ("chinaeast2", "sha2", "azure-automation.cn"),
    ("chinanorth", "bjb", "azure-automation.cn"),
    ("chinanorth2", "bjs2", "azure-automation.cn"),
    ("chinanorth3", "cnn3", "azure-automation.cn"),
    ("westeurope", "we", "azure-automation.net"),
    ("northeurope", "ne", "azure-automation.net"),
    ("francecentral", "fc", "azure-automation.net"),
    ("francesouth", "mrs", "azure-automation.net"),
    ("germanywestcentral", "dewc", "azure-automation.de"),
    ("centralindia", "cid", "azure-automation.net"),
    ("southindia", "ma", "azure-automation.net"),
    ("japaneast", "jpe", "azure-automation.net"),
    ("japanwest", "jpw", "azure-automation.net"),
    ("koreacentral", "kc", "azure-automation.net"),
    ("koreasouth", "ps", "azure-automation.net"),
    ("norwayeast", "noe", "azure-automation.net"),
    ("norwaywest", "now", "azure-automation.net"),
    ("switzerlandwest", "stzw", "azure-automation.net"),
    ("uaecentral", "auh", "azure-automation.net"),
    ("uaenorth", "uaen", "azure-automation.net"),
    ("ukwest", "cw", "azure-automation.net"),
    ("uksouth", "uks", "azure-automation.net"),
    ("centralus", "cus", "azure-automation.net"),
    ("eastus", "eus", "azure-automation.net"),
    ("eastus2", "eus2", "azure-automation.net"),
    ("northcentralus", "ncus", "azure-automation.net"),
    ("southcentralus", "scus", "azure-automation.net"),
    ("westcentralus", "wcus", "azure-automation.net"),
    ("westus", "wus", "azure-automation.net"),
    ("westus2", "wus2", "azure-automation.net"),
    ("westus3", "usw3", "azure-automation.net"),
    ("usgovvirginia", "usge", "azure-automation.us"),
    ("usgovtexas", "ussc", "azure-automation.us"),
    ("usgovarizona", "phx", "azure-automation.us"),
]
ORIGINAL_2018 = {"scus", "eus2", "wcus", "we", "ne", "cc", "sea", "cid", "jpe", "ase", "uks", "usge"}  # fmt: skip
CLOUD_OF_DOMAIN = {
    "azure-automation.net": "public",
    "azure-automation.de": "public",
    "azure-automation.cn": "china",
    "azure-automation.us": "usgov",
}


def region(catalogue: Catalogue, name: str) -> Region:
    return next(r for r in catalogue.regions if r.name == name)


# ---------------------------------------------------------------- the shipped catalogue


def test_shipped_catalogue_loads(catalogue: Catalogue) -> None:
    assert catalogue.path == "regions.yaml"
    assert set(catalogue.clouds) == {"public", "usgov", "china"}
    assert catalogue.regions and catalogue.endpoints and catalogue.authorities


def test_the_2018_list_is_exact(catalogue: Catalogue) -> None:
    assert {r.code for r in catalogue.regions if r.original_2018} == ORIGINAL_2018
    assert sum(r.original_2018 for r in catalogue.regions) == 12


def test_the_2018_regions_have_their_jobruntimedata_host(catalogue: Catalogue) -> None:
    for r in catalogue.regions:
        if r.original_2018:
            suffix = "us" if r.code == "usge" else "net"
            assert r.legacy_jrds == f"{r.code}-jobruntimedata-prod-su1.azure-automation.{suffix}"


@pytest.mark.parametrize(
    ("name", "code", "domain"), REFERENCE_1_1, ids=[r[0] for r in REFERENCE_1_1]
)
def test_every_region_of_reference_1_1_is_present(
    catalogue: Catalogue, name: str, code: str, domain: str
) -> None:
    found = region(catalogue, name)
    assert found.code == code
    assert domain in found.account_domains
    assert found.cloud == CLOUD_OF_DOMAIN[domain]


def test_germany_west_central_has_both_domains_and_is_doubtful(catalogue: Catalogue) -> None:
    dewc = region(catalogue, "germanywestcentral")
    assert dewc.code == "dewc"
    assert set(dewc.account_domains) == {"azure-automation.de", "azure-automation.net"}
    assert dewc.doubtful and ".de" in dewc.doubtful


def test_switzerland_north_has_only_old_style_records(catalogue: Catalogue) -> None:
    stzn = region(catalogue, "switzerlandnorth")
    assert stzn.code == "stzn"
    assert stzn.account_domains == ()
    assert stzn.legacy_jrds == "stzn-jobruntimedata-prod-su1.azure-automation.net"
    # kept as published (-prod-su1), flagged rather than silently corrected
    assert stzn.legacy_agentservice == "stzn-agentservice-prod-su1.azure-automation.net"
    assert stzn.doubtful


def test_china_north_3_and_us_gov_arizona(catalogue: Catalogue) -> None:
    assert region(catalogue, "chinanorth3").code == "cnn3"
    assert region(catalogue, "chinanorth3").cloud == "china"
    phx = region(catalogue, "usgovarizona")
    assert (phx.code, phx.cloud) == ("phx", "usgov")
    assert phx.legacy_jrds == "phx-jobruntimedata-prod-su1.azure-automation.us"


def test_regions_without_a_published_code_are_known_and_doubtful(catalogue: Catalogue) -> None:
    canadaeast = region(catalogue, "canadaeast")
    assert canadaeast.code is None
    assert canadaeast.doubtful


def test_certificate_authorities_are_data(catalogue: Catalogue) -> None:
    names = catalogue.microsoft_names()
    assert "microsoft rsa root certificate authority 2017" in names
    assert "digicert global root g2" in names
    assert all(len(t) == 40 and t == t.upper() for t in catalogue.microsoft_thumbprints())
    assert {ca.status for ca in catalogue.authorities} == {"current", "retired"}


# ---------------------------------------------------------------- broken catalogues


# libyaml's dumper when present: the broken variants are dumped often and the file is large.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write(tmp_path: Path, raw: Any) -> str:
    path = tmp_path / "regions.yaml"
    text = raw if isinstance(raw, str) else yaml.dump(raw, Dumper=_DUMPER)
    path.write_text(text, encoding="utf-8")
    return str(path)


def usage_error(path: str) -> str:
    with pytest.raises(UsageError) as caught:
        load_catalogue(path)
    message = str(caught.value)
    assert "\n" not in message, f"not one line: {message!r}"
    return message


def test_an_unchanged_dump_of_the_shipped_catalogue_loads(
    tmp_path: Path, shipped_raw: dict[str, Any], catalogue: Catalogue
) -> None:
    loaded = load_catalogue(write(tmp_path, shipped_raw))
    assert loaded.regions == catalogue.regions
    assert loaded.endpoints == catalogue.endpoints


def test_missing_key(tmp_path: Path, shipped_raw: dict[str, Any]) -> None:
    del shipped_raw["regions"][12]["code"]
    assert usage_error(write(tmp_path, shipped_raw)) == "regions.yaml: regions[12].code: missing"


def test_unknown_key(tmp_path: Path, shipped_raw: dict[str, Any]) -> None:
    shipped_raw["regions"][3]["colour"] = "blue"
    message = usage_error(write(tmp_path, shipped_raw))
    assert message.startswith("regions.yaml: regions[3].colour: unknown key (expected one of: ")


def test_unknown_top_level_key(tmp_path: Path, shipped_raw: dict[str, Any]) -> None:
    shipped_raw["regionz"] = []
    assert usage_error(write(tmp_path, shipped_raw)).startswith(
        "regions.yaml: regionz: unknown key"
    )


def test_bad_sha1(tmp_path: Path, shipped_raw: dict[str, Any]) -> None:
    shipped_raw["certificate_authorities"][2]["sha1"] = "A8985D3A65E5E5C4"
    assert usage_error(write(tmp_path, shipped_raw)) == (
        "regions.yaml: certificate_authorities[2].sha1: must be 40 hexadecimal digits"
    )


def test_unknown_cloud(tmp_path: Path, shipped_raw: dict[str, Any]) -> None:
    shipped_raw["regions"][0]["cloud"] = "mars"
    assert usage_error(write(tmp_path, shipped_raw)) == (
        "regions.yaml: regions[0].cloud: unknown cloud 'mars' (known: china, public, usgov)"
    )


def test_unknown_placeholder(tmp_path: Path, shipped_raw: dict[str, Any]) -> None:
    shipped_raw["endpoints"][0]["pattern"] = "*.{automaton}"
    assert usage_error(write(tmp_path, shipped_raw)).startswith(
        "regions.yaml: endpoints[0].pattern: placeholder {automaton} is not a suffix of cloud "
    )


@pytest.mark.parametrize("pattern", ["{code.{automation}", "x}.{automation}", "{}.{automation}"])
def test_malformed_placeholder(tmp_path: Path, shipped_raw: dict[str, Any], pattern: str) -> None:
    shipped_raw["endpoints"][1]["pattern"] = pattern
    assert usage_error(write(tmp_path, shipped_raw)).startswith(
        "regions.yaml: endpoints[1].pattern: "
    )


def test_duplicate_region_name(tmp_path: Path, shipped_raw: dict[str, Any]) -> None:
    shipped_raw["regions"][5]["name"] = "SouthAfricaNorth"
    assert usage_error(write(tmp_path, shipped_raw)) == (
        "regions.yaml: regions[5].name: duplicate region name 'SouthAfricaNorth' "
        "(first at regions[0].name)"
    )


def test_duplicate_location_code(tmp_path: Path, shipped_raw: dict[str, Any]) -> None:
    shipped_raw["regions"][1]["code"] = "san"
    assert usage_error(write(tmp_path, shipped_raw)).startswith(
        "regions.yaml: regions[1].code: duplicate location code 'san'"
    )


@pytest.mark.parametrize("value", [2, "1", True, None])
def test_unsupported_schema(tmp_path: Path, shipped_raw: dict[str, Any], value: object) -> None:
    shipped_raw["schema"] = value
    assert usage_error(write(tmp_path, shipped_raw)).startswith(
        "regions.yaml: schema: unsupported value "
    )


def test_not_yaml(tmp_path: Path) -> None:
    message = usage_error(write(tmp_path, "schema: 1\nregions: [unclosed\n"))
    assert message.startswith("regions.yaml: not valid YAML at line ")


def test_control_character_is_one_line(tmp_path: Path) -> None:
    message = usage_error(write(tmp_path, "schema: 1\ndate: \x07\n"))
    assert message.startswith("regions.yaml: not valid YAML")


@pytest.mark.parametrize("text", ["- a list\n- of things\n", "just a string\n", "42\n", ""])
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    assert usage_error(write(tmp_path, text)) == "regions.yaml: (top level): must be a mapping"


def test_unreadable_file(tmp_path: Path) -> None:
    message = usage_error(str(tmp_path / "absent.yaml"))
    assert message.startswith(f"cannot read catalogue {tmp_path / 'absent.yaml'}: ")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "regions.yaml"
    path.write_bytes(b"schema: 1\ndate: \xff\xfe\n")
    assert usage_error(str(path)).startswith("cannot read catalogue ")


def test_only_the_safe_loader_is_used(tmp_path: Path, shipped_raw: dict[str, Any]) -> None:
    marker = tmp_path / "constructed"
    text = write(tmp_path, shipped_raw)
    body = Path(text).read_text(encoding="utf-8")
    # An unsafe loader would call open() and create the marker file.
    Path(text).write_text(
        f"evil: !!python/object/apply:builtins.open [{str(marker)!r}, 'w']\n" + body,
        encoding="utf-8",
    )
    message = usage_error(text)
    assert message.startswith("regions.yaml: not valid YAML")
    assert not marker.exists()


def test_python_object_tag_is_rejected(tmp_path: Path) -> None:
    message = usage_error(write(tmp_path, "!!python/object:netcheck.models.Cloud {}\n"))
    assert message.startswith("regions.yaml: not valid YAML")


def test_every_problem_is_reported_at_once_with_its_path(
    tmp_path: Path, shipped_raw: dict[str, Any]
) -> None:
    shipped_raw["regions"] = 42
    del shipped_raw["endpoints"][3]["port"]
    shipped_raw["endpoints"][5]["colour"] = "blue"
    shipped_raw["certificate_authorities"][0]["sha1"] = "zz"
    message = usage_error(write(tmp_path, shipped_raw))
    assert message.startswith("regions.yaml: 4 problems: regions: expected a list, got 42; ")
    for problem in (
        "endpoints[3].port: missing",
        "endpoints[5].colour: unknown key",
        "certificate_authorities[0].sha1: must be 40 hexadecimal digits",
    ):
        assert problem in message, message


def test_a_long_list_of_problems_is_cut_with_a_count(
    tmp_path: Path, shipped_raw: dict[str, Any]
) -> None:
    for region in shipped_raw["regions"][:30]:
        del region["code"]
    message = usage_error(write(tmp_path, shipped_raw))
    assert message.startswith("regions.yaml: 30 problems: regions[0].code: missing; ")
    assert message.endswith("; and 10 more"), message


def test_china_mirrors_of_the_revocation_hosts_belong_to_china_only(catalogue: Catalogue) -> None:
    from netcheck.expand import Selection, expand, find_region
    from netcheck.models import Deployment

    def hosts(region: str) -> set[str]:
        selection = Selection(find_region(catalogue, region), frozenset({Deployment.REVOCATION}))
        return {t.host for t in expand(catalogue, selection)}

    assert not {h for h in hosts("westeurope") if h.endswith(".digicert.cn")}
    assert not {h for h in hosts("usgovvirginia") if h.endswith(".digicert.cn")}
    assert {"crl.digicert.cn", "ocsp.digicert.cn"} <= hosts("chinanorth3")
    assert "crl3.digicert.com" in hosts("westeurope")
