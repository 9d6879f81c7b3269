"""The allow-list tests' `netcheck`: the shared in-process runner, from the repository root."""

from __future__ import annotations

import pytest

from ..conftest import Netcheck as Runner
from .support import Netcheck


@pytest.fixture
def netcheck(netcheck: Runner, monkeypatch: pytest.MonkeyPatch) -> Netcheck:
    return Netcheck(netcheck, monkeypatch)
