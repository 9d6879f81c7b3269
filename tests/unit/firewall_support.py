"""Runs `netcheck rules` in-process, as a user would, for the test_firewall_* modules."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from netcheck import cli

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
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


class Run(NamedTuple):
    exit_code: int
    stdout: str
    stderr: str


class Netcheck:
    """Calls the real entry point (exit codes and one-line errors included) from the repo root."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        monkeypatch.chdir(REPO)
        # a stable version in the output, so a release does not rewrite the golden files
        monkeypatch.setattr(cli, "__version__", "0.0.0-test")
        for name in list(os.environ):
            if name.startswith("NETCHECK_"):
                monkeypatch.delenv(name)

    def __call__(self, *args: str) -> Run:
        self.monkeypatch.setattr(sys, "argv", ["netcheck", *args])
        self.capsys.readouterr()
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = self.capsys.readouterr()
        return Run(code, out.out, out.err)

    def rules(self, *args: str) -> str:
        """The output of a run that must succeed."""
        run = self("rules", *args)
        assert run.exit_code == 0, run.stderr
        return run.stdout
