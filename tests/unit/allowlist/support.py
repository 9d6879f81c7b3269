"""Runs `netcheck rules` in-process, as a user would, for the allow-list tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from netcheck.cli import rules as rules_command

from ..conftest import Netcheck as Runner
from ..conftest import Run

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parents[1] / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"
# Paths as a user in the repository would type them: they appear in the output's header.
CATALOGUE = "tests/unit/data/rules-catalogue.yaml"
TAGS = "tests/unit/data/ServiceTags_Public_20250630.json"
LEGACY_XML = "tests/unit/data/PublicIPs_20200824.xml"
WORKSPACE = "11111111-2222-3333-4444-555555555555"
ACCOUNT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
# Everything the small catalogue offers: both worker types, both IDs, revocation.
FULL = (
    "--region",
    "testregion",
    "--catalogue",
    CATALOGUE,
    "--workspace-id",
    WORKSPACE,
    "--automation-account-id",
    ACCOUNT,
    "--include-revocation",
)


class Netcheck:
    """`netcheck rules` in-process from the repository root, through the shared runner."""

    def __init__(self, run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
        self.run = run
        monkeypatch.chdir(REPO)
        # a stable version in the output, so a release does not rewrite the golden files
        monkeypatch.setattr(rules_command, "__version__", "0.0.0-test")

    def __call__(self, *args: str) -> Run:
        return self.run(*args)

    def rules(self, *args: str) -> str:
        """The output of a run that must succeed."""
        run = self("rules", *args)
        assert run.code == 0, run.err
        return run.out
