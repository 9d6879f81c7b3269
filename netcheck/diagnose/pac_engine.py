"""Runs a PAC file in a child process (see netcheck.diagnose.pac): reads {"script", "hosts"}
as JSON on stdin, writes {"answers": [[answer, error], ...]} or {"problem": ...} on stdout."""

from __future__ import annotations

import json
import sys
from typing import Any


def run(request: dict[str, Any]) -> dict[str, Any]:
    try:
        from pypac.parser import PACFile
    except ImportError:
        return {"problem": "no PAC engine: install pypac (pip install pypac) to evaluate it"}
    try:
        pac = PACFile(request["script"])
    except Exception as exc:  # pypac raises its own errors and the JS engine's
        return {"problem": f"the PAC file does not run: {type(exc).__name__}: {exc}"}
    answers: list[tuple[str | None, str | None]] = []
    for host in request["hosts"]:
        try:
            answers.append((str(pac.find_proxy_for_url(f"https://{host}/", host)), None))
        except Exception as exc:
            answers.append((None, str(exc)))
    return {"answers": answers}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run(json.load(sys.stdin))))
