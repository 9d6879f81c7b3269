"""What both HTML reports share: one self-contained page, its style, escaping, status badges.

The page loads nothing: no script, no external style, font or image, so it works offline and
from a mail attachment. Its Content-Security-Policy allows only its own style sheet (by hash):
even a string that escaped escaping could not run a script or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from typing import Any

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#1b1f24}
h1{font-size:1.5em;margin:0 0 .4em}h2{font-size:1.15em;margin:1.2em 0 .4em}
table{border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:.25em .45em;
vertical-align:top;text-align:left}
th.endpoint{font-weight:600;font-size:.75em;max-width:9em;word-break:break-all}
code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;padding:.5em;margin:.3em 0}
.badge{display:inline-block;min-width:4.2em;padding:0 .35em;border-radius:3px;
font-weight:700;font-size:.8em;text-align:center;border:1px solid}
.s-pass{background:#dafbe1;border-color:#1a7f37;color:#0f5323}
.s-warn{background:#fff8c5;border-color:#9a6700;color:#6f4a00}
.s-fail{background:#ffebe9;border-color:#cf222e;color:#a40e26}
.s-nodata{background:#eaeef2;border-color:#57606a;color:#24292f}
.s-skip,.s-info{background:#f6f8fa;border-color:#8c959f;color:#57606a}
td.none{color:#8c959f;text-align:center}
details>summary{cursor:pointer}
.meta{color:#57606a;margin:.2em 0}
svg.bar{display:block;width:100%;max-width:60em;height:1.1em;background:#f6f8fa;
border:1px solid #d0d7de;margin:.3em 0}
.step-dns{fill:#8250df}.step-proxy{fill:#bf8700}.step-tcp{fill:#0969da}
.step-tls{fill:#1a7f37}.step-http{fill:#cf222e}
.legend span{margin-right:1em}.legend svg{width:.8em;height:.8em;margin-right:.3em}
table.chain{font-size:.85em;margin:.3em 0}caption{text-align:left;color:#57606a}
section.target{border-top:1px solid #d0d7de;padding:.4em 0}
.finding{margin:.4em 0 .6em 1em}
"""

_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")
CSP = f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; form-action 'none'"


def esc(value: object) -> str:
    """Any value from a report as HTML text: quotes too, so it is safe in attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def badge(status: str) -> str:
    """A status as text and colour: readable without colour, and by a screen reader."""
    return f'<span class="badge s-{esc(status)}">{esc(status.upper())}</span>'


def evidence(data: dict[str, Any]) -> str:
    if not data:
        return ""
    text = json.dumps(data, indent=2, sort_keys=True, default=str)
    return f"<details><summary>evidence</summary><pre>{esc(text)}</pre></details>"


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body></html>\n"
    )
