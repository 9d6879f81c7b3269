"""Hides secrets in text netcheck quotes or bundles: keys, passwords, tokens, URL credentials."""

from __future__ import annotations

import re

MASK = "***"
# Names whose values are secrets, as they appear in config files, JSON, command lines and logs.
_SECRET_NAME = (
    r"[\w.-]*(?:key|password|passwd|pwd|secret|token|signature|sig|credential|"
    r"authorization|protectedsettings)[\w.-]*"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # HTTP authorization schemes quoted in logs (before name=value eats the scheme's name)
    (re.compile(r"(?i)\b(Bearer|Basic|SharedKey)\s+[^\s\"',]+"), rf"\1 {MASK}"),
    # name=value, name: value, "name": "value" (a quoted value keeps its quotes)
    (
        re.compile(rf"""(?i)(\b{_SECRET_NAME}\b["']?\s*[=:]\s*)(?:(["'])[^"']*\2|[^\s,;&"']+)"""),
        rf"\1\2{MASK}\2",
    ),
    # credentials in a URL, with or without its scheme (the agent's proxy.conf syntax)
    (
        re.compile(r"""(?i)((?:\b[a-z][\w+.-]*://)?[^\s/@:'"=]+:)[^\s@'"]+@(?=[\w.\[-])"""),
        rf"\1{MASK}@",
    ),
    # onboarding command lines: -k <workspace key>, --key <key>
    (re.compile(r"(?<!\S)(--?k(?:ey)?)(\s+|=)(?!-)\S+"), rf"\1\2{MASK}"),
)
# Files never to copy anywhere: private keys.
SECRET_FILE_SUFFIXES = (".key", ".prv", ".pfx", ".p12")


def redact_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_file(path: str) -> bool:
    return path.lower().endswith(SECRET_FILE_SUFFIXES)
