"""YAML documents parsed once per content: later runs read a JSON copy from the user's cache.

Parsing the shipped catalogue costs more than every other step before a check's first packet
but one, and importing PyYAML as much again. The copy is named by the SHA-256 of the text, so
an edited file is parsed anew and a copy never goes stale. JSON holds data only: reading a copy
runs no code, whoever wrote it. A copy that is not JSON, or not the document its name says,
is ignored, and every caller validates what it gets exactly as it validates freshly parsed
YAML. The cache lives in the user's own cache folder and is used only when that folder
and file belong to the user running netcheck and nobody else may write to them, so that
`sudo netcheck` never reads what an ordinary user left there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

# A version of the copies' layout: a change of layout starts afresh rather than misreading.
_LAYOUT = 1
# The marker of a date (YAML turns `date: 2025-11-17` into one); a document with a mapping
# that uses this key itself is never cached, so the marker cannot be confused with data.
_DATE = "$netcheck-date"
# Copies kept at most; the oldest go first (a user who edits a catalogue often makes many).
_KEEP = 16


class ParseError(Exception):
    """The text is not valid YAML; `error` is PyYAML's exception, with its position."""

    def __init__(self, error: yaml.YAMLError) -> None:
        super().__init__(str(error))
        self.error = error


def load(text: str) -> Any:
    """The data of a YAML document (safe loader), from the cache when this text was seen."""
    digest = hashlib.sha256(f"{_LAYOUT}\n{text}".encode()).hexdigest()
    folder = _folder()
    path = folder / f"yaml-{digest}.json" if folder is not None else None
    if path is not None:
        cached = _read(path, digest)
        if cached is not None:
            return cached[0]
    data = _parse(text)
    if path is not None and _plain(data):
        _write(path, digest, data)
    return data


def _parse(text: str) -> Any:
    import yaml

    try:
        # libyaml's loader when PyYAML has it: ten times faster than the pure-Python one.
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ParseError(exc) from None


def cache_folder() -> Path:
    """Where the copies go: the platform's per-user cache folder, under `netcheck`."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "netcheck" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "netcheck"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "netcheck"


def _folder() -> Path | None:
    """The cache folder, created when missing; None when it cannot be used safely."""
    try:
        folder = cache_folder()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder if _private(folder) else None
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None


def _private(path: Path) -> bool:
    """Owned by this user, and nobody else may write to it (always true on Windows, where
    the per-user folder is the user's by its access rules)."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:
        return True
    status = path.stat()
    return status.st_uid == geteuid() and not status.st_mode & 0o022


def _read(path: Path, digest: str) -> tuple[Any] | None:
    """The cached data (in a 1-tuple, since the data itself may be None), or None."""
    try:
        if not _private(path):
            return None
        with path.open(encoding="utf-8") as handle:
            copy = json.load(handle, object_hook=_revive)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(copy, dict) or copy.get("sha256") != digest or "data" not in copy:
        return None
    return (copy["data"],)


def _write(path: Path, digest: str, data: Any) -> None:
    """Write the copy whole or not at all (a reader never sees half of it); errors only
    cost the next run a parse."""
    import tempfile

    try:
        text = json.dumps({"sha256": digest, "data": data}, default=_date_marker)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=".yaml-", delete=False
        ) as handle:
            handle.write(text)
        os.replace(handle.name, path)
        _prune(path.parent)
    except (OSError, ValueError, RecursionError):
        return


def _prune(folder: Path) -> None:
    copies = sorted(folder.glob("yaml-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in copies[_KEEP:]:
        old.unlink(missing_ok=True)


def _plain(value: Any) -> bool:
    """Whether JSON gives back exactly this value: mappings with text keys, lists, text,
    whole and finite numbers, true/false, null, and dates."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if type(value) is dt.date:  # a datetime is a date too, but is not kept as one
        return True
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k != _DATE and _plain(v) for k, v in value.items())
    return False


def _date_marker(value: Any) -> dict[str, str]:
    if type(value) is dt.date:
        return {_DATE: value.isoformat()}
    raise ValueError(f"not cacheable: {type(value).__name__}")


def _revive(mapping: dict[str, Any]) -> Any:
    if len(mapping) == 1 and _DATE in mapping:
        return dt.date.fromisoformat(mapping[_DATE])
    return mapping
