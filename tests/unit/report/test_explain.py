"""`netcheck explain` and the code registry: every code the tool can emit has an entry, and
no entry is orphaned."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import netcheck
from netcheck.findings.codes import CODES
from netcheck.report.explain import describe, listing, lookup

PACKAGE = Path(netcheck.__file__).parent
REGISTRY = PACKAGE / "rules" / "codes.py"
CODE_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def emitted_codes() -> dict[str, set[str]]:
    """Code -> modules emitting it. A literal first argument of finding() or Finding() is a
    code; where finding() takes a variable (codes kept in tables), every code-shaped string of
    that module counts, so a table entry cannot escape the check."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == REGISTRY:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = str(path.relative_to(PACKAGE))
        dynamic = False
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in ("finding", "Finding"):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, set()).add(module)
            elif name == "finding":
                dynamic = True
        if dynamic:
            for node in ast.walk(tree):
                value = node.value if isinstance(node, ast.Constant) else None
                if isinstance(value, str) and CODE_SHAPE.match(value):
                    found.setdefault(value, set()).add(module)
    return found


def test_every_emitted_code_has_an_entry() -> None:
    missing = {code: mods for code, mods in emitted_codes().items() if code not in CODES}
    assert not missing, f"codes emitted without a registry entry: {missing}"


def test_no_entry_is_orphaned() -> None:
    orphans = set(CODES) - set(emitted_codes())
    assert not orphans, f"registry entries nothing emits: {sorted(orphans)}"


def test_the_scan_sees_the_diagnose_codes() -> None:
    emitted = emitted_codes()
    assert emitted["AGENT_SERVICE_STOPPED"] == {"diagnose/verdicts.py"}
    assert emitted["LOG_TLS_INTERCEPTION"] == {"diagnose/logs.py"}
    assert "findings/tls.py" in emitted["TLS_RESET"]  # a table entry, found through the module


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
