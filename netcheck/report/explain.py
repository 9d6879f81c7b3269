"""`netcheck explain`: what a finding code means, why it matters and how to fix it."""

from __future__ import annotations

import difflib
import textwrap

from tabulate import tabulate

from netcheck.errors import UsageError
from netcheck.findings.codes import CODES, Code

_WIDTH = 100


def lookup(name: str) -> Code:
    """The code named (any case); an unknown name is a usage error with the closest codes."""
    wanted = name.strip().upper().replace("-", "_")
    if wanted in CODES:
        return CODES[wanted]
    close = difflib.get_close_matches(wanted, list(CODES), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise UsageError(
        f"unknown finding code {name!r}: {hint}run 'netcheck explain --list' for all {len(CODES)}"
    )


def describe(entry: Code) -> str:
    lines = [f"{entry.code} ({entry.severity.value}): {entry.title}", ""]
    for label, text in (
        ("What it means and why it matters", entry.why),
        ("How to fix it", entry.fix),
    ):
        lines.append(label + ":")
        lines += textwrap.wrap(text, _WIDTH, initial_indent="  ", subsequent_indent="  ")
        lines.append("")
    lines.append("Read more:")
    lines += [f"  {doc}" for doc in entry.docs]
    return "\n".join(lines) + "\n"


def listing() -> str:
    rows = [
        [c.code, c.severity.value, c.title] for c in sorted(CODES.values(), key=lambda c: c.code)
    ]
    return tabulate(rows, headers=["CODE", "SEVERITY", "TITLE"], tablefmt="simple") + "\n"
