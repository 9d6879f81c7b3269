"""Shared fixtures of the unit tests: the shipped catalogue, loaded and as plain data.

Unit tests are pure: no root, no network beyond loopback.
"""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from netcheck.catalogue import load_catalogue
from netcheck.models import Catalogue


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(None)


@pytest.fixture(scope="session")
def _shipped_raw() -> dict[str, Any]:
    text = (resources.files("netcheck.data") / "regions.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    assert isinstance(raw, dict)
    return raw


@pytest.fixture
def shipped_raw(_shipped_raw: dict[str, Any]) -> dict[str, Any]:
    """The shipped catalogue as plain data, free for one test to break."""
    return copy.deepcopy(_shipped_raw)
