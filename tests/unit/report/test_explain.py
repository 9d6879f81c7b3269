"""`netcheck explain` and the code registry: each record is named as its code, and none is
orphaned."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import netcheck
from netcheck.findings import codes
from netcheck.findings.codes import CODES, Code
from netcheck.report.explain import describe, listing, lookup

PACKAGE = Path(netcheck.__file__).parent
REGISTRY = PACKAGE / "findings" / "codes.py"


def test_each_record_is_named_as_its_code() -> None:
    """Code refers to records by name (codes.TLS_RESET); the name must be the emitted code."""
    named = {name: value for name, value in vars(codes).items() if isinstance(value, Code)}
    assert named == CODES


def test_no_record_is_orphaned() -> None:
    """The type checker proves every reference names a record; this proves every record is
    referenced, so `explain --list` holds no code that netcheck cannot emit."""
    sources = "\n".join(
        path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py") if path != REGISTRY
    )
    referenced = set(re.findall(r"\bcodes\.([A-Z][A-Z0-9_]+)\b", sources))
    assert not set(CODES) - referenced, sorted(set(CODES) - referenced)


def test_every_entry_is_complete() -> None:
    for code, entry in CODES.items():
        assert entry.code == code
        assert entry.title and entry.why and entry.fix, code
        assert entry.docs and all(d.startswith("https://") for d in entry.docs), code


def test_describe_names_meaning_fix_and_docs() -> None:
    text = describe(lookup("agent-service-stopped"))
    assert text.startswith("AGENT_SERVICE_STOPPED (fail): The worker's service is not running")
    assert "What it means and why it matters:" in text and "How to fix it:" in text
    assert "https://learn.microsoft.com/" in text


def test_listing_has_every_code() -> None:
    text = listing()
    for code in CODES:
        assert code in text


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netcheck", "explain", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_explain_command() -> None:
    done = run("TLS_INTERCEPTED")
    assert done.returncode == 0 and "event 4502" in done.stdout
    listed = run("--list")
    assert listed.returncode == 0 and "LOG_TLS_INTERCEPTION" in listed.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["TLS_INTERCEPT"], "did you mean TLS_INTERCEPTED"),
        ([], "give one finding CODE or --list"),
        (["TLS_RESET", "--list"], "give one finding CODE or --list"),
    ],
)
def test_explain_usage_errors(args: list[str], words: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert words in done.stderr and len(done.stderr.splitlines()) == 1
