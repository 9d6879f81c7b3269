"""Shared fixtures of the unit tests: the shipped catalogue, loaded and as plain data.

Unit tests are pure: no root, no network beyond loopback.
"""

from __future__ import annotations

import copy
import os
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
import yaml

from netcheck.catalogue import load_catalogue
from netcheck.cli import main
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


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


Netcheck = Callable[..., Run]


@pytest.fixture
def netcheck(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Netcheck:
    """Run `netcheck ARGS` in this process through main(), as the console script does, with no
    NETCHECK_* or proxy variables from the environment of whoever runs the tests."""
    for name in list(os.environ):
        if name.startswith("NETCHECK_") or name.lower() in ("https_proxy", "no_proxy"):
            monkeypatch.delenv(name)

    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["netcheck", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that is bound but not listening: a connection is refused at once, so
    no packet leaves loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
