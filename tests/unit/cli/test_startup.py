"""`netcheck --version` and `--help` start about as fast as Python: they load no heavy library
and none of netcheck's heavy modules.

Every command module keeps its heavy imports inside the command; this test is where that rule
lives, instead of a comment beside each import.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("yaml", "cryptography", "OpenSSL", "dns", "certifi", "tabulate", "h11")
# netcheck's own heavy modules: the models (dozens of dataclasses), the catalogue, the probes.
OWN = ("netcheck.models", "netcheck.catalogue", "netcheck.probes", "netcheck.findings")
# Modules the interpreter loaded before netcheck (a site hook may load certifi) do not count.
PROBE = f"""
import json, sys
before = set(sys.modules)
from netcheck.cli import main
sys.argv = ["netcheck", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy, own = {HEAVY!r}, {OWN!r}
new = set(sys.modules) - before
loaded = [m for m in new if m.split(".")[0] in heavy or m.startswith(own)]
print(json.dumps(sorted(loaded)), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["check", "--help"], ["rules", "--help"]], ids=" ".join
)
def test_help_and_version_load_no_heavy_library(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60
    )
    loaded = json.loads(done.stderr.strip().splitlines()[-1])
    assert loaded == [], f"netcheck {' '.join(args)} imported {loaded}"
