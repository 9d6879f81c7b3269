"""The YAML cache: the same data as parsing, JSON copies keyed by content, never trusted blindly."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from netcheck import yaml_cache
from netcheck.catalogue import load_catalogue
from netcheck.errors import UsageError


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own."""
    folder = tmp_path / "cache" / "netcheck"
    monkeypatch.setattr(yaml_cache, "cache_folder", lambda: folder)
    return folder


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG folder is Linux's")
def test_the_cache_folder_follows_xdg_cache_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert yaml_cache.cache_folder() == tmp_path / "netcheck"


def copies(folder: Path) -> list[Path]:
    return sorted(folder.glob("yaml-*.json"))


DOCUMENT = """\
schema: 1
date: 2025-11-17
names: [a, b]
nested: {x: 1.5, y: null, z: true, w: "2025-11-17"}
"""


def test_first_run_parses_and_writes_a_copy_later_runs_read_it(cache: Path) -> None:
    expected = yaml.safe_load(DOCUMENT)
    assert yaml_cache.load(DOCUMENT) == expected
    (copy,) = copies(cache)
    assert json.loads(copy.read_text())["data"]["date"] == {"$netcheck-date": "2025-11-17"}
    # the second run reads the copy: the same data, the date a date again, the text a text
    again = yaml_cache.load(DOCUMENT)
    assert again == expected
    assert type(again["date"]) is dt.date and again["nested"]["w"] == "2025-11-17"
    assert oct(cache.stat().st_mode & 0o777) == "0o700"


def test_a_copy_is_read_instead_of_parsing(cache: Path) -> None:
    yaml_cache.load(DOCUMENT)
    (copy,) = copies(cache)
    stored = json.loads(copy.read_text())
    stored["data"]["names"] = ["from the copy"]
    copy.write_text(json.dumps(stored))
    assert yaml_cache.load(DOCUMENT)["names"] == ["from the copy"]


def test_an_edited_text_is_parsed_anew(cache: Path) -> None:
    yaml_cache.load(DOCUMENT)
    assert yaml_cache.load(DOCUMENT.replace("[a, b]", "[c]"))["names"] == ["c"]
    assert len(copies(cache)) == 2


@pytest.mark.parametrize(
    "damage",
    [
        "not json at all",
        '{"sha256": "0000", "data": {"schema": 2}}',  # a copy of another document
        '{"data": {"schema": 2}}',
        '["a list"]',
        '{"sha256": "%s", "data": {"date": {"$netcheck-date": "not a date"}}}',
    ],
)
def test_a_damaged_copy_is_ignored_and_replaced(cache: Path, damage: str) -> None:
    yaml_cache.load(DOCUMENT)
    (copy,) = copies(cache)
    digest = json.loads(copy.read_text())["sha256"]
    copy.write_text(damage.replace("%s", digest))
    assert yaml_cache.load(DOCUMENT) == yaml.safe_load(DOCUMENT)
    assert json.loads(copy.read_text())["sha256"] == digest


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX ownership and modes")
def test_a_folder_or_copy_others_may_write_is_not_used(cache: Path) -> None:
    yaml_cache.load(DOCUMENT)
    (copy,) = copies(cache)
    stored = json.loads(copy.read_text())
    stored["data"]["names"] = ["planted"]
    copy.write_text(json.dumps(stored))
    copy.chmod(0o666)
    assert yaml_cache.load(DOCUMENT)["names"] == ["a", "b"]
    cache.chmod(0o777)
    yaml_cache.load(DOCUMENT.replace("[a, b]", "[c]"))
    assert len(copies(cache)) == 1  # nothing written into a folder others may write to


@pytest.mark.parametrize(
    "document",
    [
        "when: 2025-11-17 10:00:00\n",  # a datetime
        "!!set {a, b}\n",
        "!!binary aGVsbG8=\n",
        "1: one\n",  # a key JSON would turn into text
        "{$netcheck-date: 2025-11-17}\n",  # the date marker itself as data
        "x: .nan\n",
    ],
)
def test_documents_json_cannot_give_back_are_never_cached(cache: Path, document: str) -> None:
    expected = yaml.safe_load(document)
    assert _same(yaml_cache.load(document), expected)
    assert _same(yaml_cache.load(document), expected)
    assert copies(cache) == []


def _same(a: object, b: object) -> bool:
    return repr(a) == repr(b)  # nan != nan


def test_invalid_yaml_raises_parse_error_with_pyyaml_s_error(cache: Path) -> None:
    with pytest.raises(yaml_cache.ParseError) as caught:
        yaml_cache.load("a: [unclosed\n")
    assert isinstance(caught.value.error, yaml.YAMLError)
    assert copies(cache) == []


def test_no_usable_cache_folder_still_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(yaml_cache.sys, "platform", "linux")
    assert yaml_cache.load(DOCUMENT) == yaml.safe_load(DOCUMENT)


def test_old_copies_are_pruned(cache: Path) -> None:
    for i in range(yaml_cache._KEEP + 3):
        yaml_cache.load(f"n: {i}\n")
    assert len(copies(cache)) == yaml_cache._KEEP


def test_the_shipped_catalogue_loads_the_same_from_its_copy(cache: Path) -> None:
    parsed = load_catalogue(None)
    assert len(copies(cache)) == 1
    assert load_catalogue(None) == parsed


def test_a_broken_catalogue_from_a_copy_is_still_refused(cache: Path, tmp_path: Path) -> None:
    """The copy holds data, not a verdict: what it holds is validated every time."""
    path = tmp_path / "regions.yaml"
    path.write_text((resources.files("netcheck.data") / "regions.yaml").read_text())
    load_catalogue(str(path))
    (copy,) = copies(cache)
    stored = json.loads(copy.read_text())
    del stored["data"]["regions"][12]["code"]
    copy.write_text(json.dumps(stored))
    with pytest.raises(UsageError, match=r"regions\.yaml: regions\[12\]\.code: missing"):
        load_catalogue(str(path))
