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


# run() as the console script calls it, with os._exit reporting whether the cyclic collector
# was on when the process left, and the exporter's server replaced by the same report.
GC_PROBE = """
import gc, os, sys
import netcheck.exporter.server as server
from netcheck.cli import run

leave = os._exit
def report(code):
    print("collector on:", gc.isenabled(), file=sys.stderr, flush=True)
    leave(code)
os._exit = report
server.serve = lambda *args, **kwargs: (lambda: print("serving, collector on:", gc.isenabled(),
                                                      file=sys.stderr))
sys.argv = ["netcheck", *sys.argv[1:]]
run()
"""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--version"], ["collector on: False"]),
        (
            ["exporter", "--listen", "127.0.0.1:9"],
            ["serving, collector on: True", "collector on: True"],
        ),
    ],
    ids=["one-shot", "exporter"],
)
def test_one_shot_commands_run_without_the_cyclic_collector_the_exporter_with_it(
    args: list[str], expected: list[str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, *args], capture_output=True, text=True, timeout=60
    )
    lines = [line for line in done.stderr.splitlines() if "collector on" in line]
    assert lines == expected, done.stderr
