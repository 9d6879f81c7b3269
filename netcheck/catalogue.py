"""Loads and validates the endpoint catalogue (docs/catalogue.md) into frozen models."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from netcheck import yaml_cache
from netcheck.errors import UsageError
from netcheck.models import (
    Catalogue,
    CertificateAuthority,
    Cloud,
    Deployment,
    Endpoint,
    Region,
)

if TYPE_CHECKING:
    import yaml

SHIPPED_NAME = "regions.yaml"

# Placeholders filled from the region or the command line; any other placeholder must be a
# suffix key of every cloud the endpoint applies to.
REGION_PLACEHOLDERS = frozenset(
    {
        "workspace_id",
        "account_id",
        "region",
        "code",
        "account_domain",
        "legacy_jrds",
        "legacy_agentservice",
    }
)
_SHA1 = re.compile(r"^[0-9A-Fa-f]{40}$")
_HOST_PATTERN = re.compile(r"^(\*\.)?[A-Za-z0-9{}_.-]+$")


# A broken catalogue reports its problems together, each with its path; beyond this many,
# the rest are counted (the first ones are enough to see the pattern).
_SHOWN_PROBLEMS = 20
T = TypeVar("T")


class _Invalid(Exception):
    """One or more problems, each `path: problem`."""

    def __init__(self, path: str, problem: str, *more: str) -> None:
        self.problems = [f"{path}: {problem}", *more]
        super().__init__("; ".join(self.problems))


class _Problems:
    """Collects the problems of independent parts, so that one does not hide the next."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def attempt(self, read: Callable[[], T]) -> T | None:
        try:
            return read()
        except _Invalid as exc:
            self.found.extend(exc.problems)
            return None

    def items(self, value: Any, path: str, read: Callable[[Any, str], T]) -> list[T]:
        """Each item of the list at `path` that reads cleanly; the others are recorded."""
        if not isinstance(value, list):
            self.found.append(f"{path}: {_expected('a list', value)}")
            return []
        read_ok = []
        for i, item in enumerate(value):
            try:
                read_ok.append(read(item, f"{path}[{i}]"))
            except _Invalid as exc:
                self.found.extend(exc.problems)
        return read_ok

    def check(self) -> None:
        if not self.found:
            return
        first, *rest = self.found
        if not rest:
            raise _Invalid(*first.split(": ", 1))
        shown = self.found[:_SHOWN_PROBLEMS]
        more = len(self.found) - len(shown)
        text = "; ".join(shown) + (f"; and {more} more" if more else "")
        raise _Invalid(f"{len(self.found)} problems", text)


def _expected(what: str, value: Any) -> str:
    shown = repr(value)
    return f"expected {what}, got {shown if len(shown) <= 40 else shown[:39] + '…'}"


def placeholders(pattern: str) -> list[str]:
    """The `{name}` placeholders of an endpoint pattern, in order; ValueError if malformed."""
    names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    if "" in names:
        raise ValueError("empty placeholder {}")
    return names


def load_catalogue(path: str | None) -> Catalogue:
    """Read the catalogue at `path`, or the shipped one when `path` is None."""
    if path is None:
        ref = resources.files("netcheck.data") / SHIPPED_NAME
        label, text = SHIPPED_NAME, ref.read_text(encoding="utf-8")
    else:
        label = Path(path).name
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read catalogue {path}: {exc}") from None
    try:
        # Parsed once per content; later runs read the cached data and validate it as below.
        raw = yaml_cache.load(text)
    except yaml_cache.ParseError as exc:
        raise UsageError(f"{label}: not valid YAML{_yaml_problem(exc.error, text)}") from None
    try:
        return _catalogue(raw, path or SHIPPED_NAME)
    except _Invalid as exc:
        raise UsageError(f"{label}: {exc}") from None


def _yaml_problem(exc: yaml.YAMLError, text: str) -> str:
    """Where and what went wrong, on one line: PyYAML's own text spans several lines."""
    mark = getattr(exc, "problem_mark", None)
    # A ReaderError (a control character, say) has no mark, only an offset.
    position = getattr(exc, "position", None)
    line = mark.line + 1 if mark is not None else None
    if line is None and isinstance(position, int):
        line = text.count("\n", 0, position) + 1
    detail = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    where = f" at line {line}" if line is not None else ""
    return f"{where}: {' '.join(str(detail).split())}"


# ---------------------------------------------------------------- field readers


def _mapping(
    value: Any, path: str, keys: set[str], optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(path or "(top level)", "must be a mapping")
    problems = [
        f"{_join(path, str(key))}: unknown key (expected one of: "
        f"{', '.join(sorted(keys | optional))})"
        for key in value
        if key not in keys | optional
    ]
    problems += [f"{_join(path, key)}: missing" for key in sorted(keys) if key not in value]
    if problems:
        first, *rest = problems
        raise _Invalid(*first.split(": ", 1), *rest)
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _str(value: Any, path: str, *, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(path, "must be a non-empty string" + (" or null" if nullable else ""))
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(path, "must be true or false")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Invalid(path, _expected("a list", value))
    return value


def _str_list(value: Any, path: str) -> tuple[str, ...]:
    return tuple(_str(item, f"{path}[{i}]") for i, item in enumerate(_list(value, path)))


def _unique(items: list[tuple[str, str | None]], what: str) -> None:
    seen: dict[str, str] = {}
    for path, key in items:
        if key is None:
            continue
        folded = key.casefold()
        if folded in seen:
            raise _Invalid(path, f"duplicate {what} {key!r} (first at {seen[folded]})")
        seen[folded] = path


# ---------------------------------------------------------------- sections


_TOP_KEYS = {"schema", "date", "clouds", "regions", "endpoints", "certificate_authorities"}


def _catalogue(raw: Any, path: str) -> Catalogue:
    if not isinstance(raw, dict):
        raise _Invalid("(top level)", "must be a mapping")
    problems = _Problems()
    problems.attempt(lambda: _mapping(raw, "", _TOP_KEYS))
    schema = raw.get("schema", 1)
    if schema != 1 or isinstance(schema, bool):  # True == 1 in Python
        problems.found.append(f"schema: unsupported value {schema!r} (expected 1)")
    date = raw.get("date")
    if isinstance(date, dt.date):
        date = date.isoformat()
    if "date" in raw:
        problems.attempt(lambda: _date(date))
    # Without valid clouds, references to them cannot be judged: they are left unchecked.
    clouds = problems.attempt(lambda: _clouds(raw["clouds"])) if "clouds" in raw else None
    regions = tuple(
        problems.items(raw.get("regions", []), "regions", lambda v, p: _region(v, p, clouds))
    )
    endpoints = tuple(
        problems.items(raw.get("endpoints", []), "endpoints", lambda v, p: _endpoint(v, p, clouds))
    )
    authorities = tuple(
        problems.items(
            raw.get("certificate_authorities", []), "certificate_authorities", _authority
        )
    )
    problems.check()
    _unique([(f"regions[{i}].name", r.name) for i, r in enumerate(regions)], "region name")
    _unique([(f"regions[{i}].code", r.code) for i, r in enumerate(regions)], "location code")
    _unique([(f"endpoints[{i}].id", e.id) for i, e in enumerate(endpoints)], "endpoint id")
    assert clouds is not None and isinstance(date, str)  # problems.check() saw to both
    return Catalogue(
        path=path,
        date=date,
        clouds=clouds,
        regions=regions,
        endpoints=endpoints,
        authorities=authorities,
    )


def _date(value: Any) -> None:
    try:
        dt.date.fromisoformat(_str(value, "date"))
    except ValueError:
        raise _Invalid("date", "must be a date YYYY-MM-DD") from None


def _clouds(raw: Any) -> dict[str, Cloud]:
    if not isinstance(raw, dict) or not raw:
        raise _Invalid("clouds", "must be a non-empty mapping of cloud name to cloud")
    clouds = {}
    for name, body in raw.items():
        path = f"clouds.{name}"
        body = _mapping(body, path, {"display_name", "suffixes"})
        suffixes = body["suffixes"]
        if not isinstance(suffixes, dict) or not suffixes:
            raise _Invalid(f"{path}.suffixes", "must be a non-empty mapping of name to DNS suffix")
        for key, value in suffixes.items():
            if key in REGION_PLACEHOLDERS:
                raise _Invalid(f"{path}.suffixes.{key}", "clashes with a region placeholder")
            _str(value, f"{path}.suffixes.{key}")
        clouds[str(name)] = Cloud(
            str(name), _str(body["display_name"], f"{path}.display_name"), dict(suffixes)
        )
    return clouds


def _region(raw: Any, path: str, clouds: dict[str, Cloud] | None) -> Region:
    body = _mapping(
        raw,
        path,
        {
            "name",
            "display_name",
            "code",
            "cloud",
            "account_domains",
            "legacy_jrds",
            "legacy_agentservice",
            "original_2018",
            "doubtful",
            "source",
        },
        frozenset({"doubtful_values"}),
    )
    cloud = _str(body["cloud"], f"{path}.cloud")
    if clouds is not None and cloud not in clouds:
        raise _Invalid(
            f"{path}.cloud", f"unknown cloud {cloud!r} (known: {', '.join(sorted(clouds))})"
        )
    doubtful = _str(body["doubtful"], f"{path}.doubtful", nullable=True)
    doubtful_values = _str_list(body.get("doubtful_values", []), f"{path}.doubtful_values")
    if doubtful_values and doubtful is None:
        raise _Invalid(f"{path}.doubtful_values", "needs a doubtful text saying why")
    return Region(
        name=_str(body["name"], f"{path}.name"),
        display_name=_str(body["display_name"], f"{path}.display_name"),
        code=_str(body["code"], f"{path}.code", nullable=True),
        cloud=cloud,
        account_domains=_str_list(body["account_domains"], f"{path}.account_domains"),
        legacy_jrds=_str(body["legacy_jrds"], f"{path}.legacy_jrds", nullable=True),
        legacy_agentservice=_str(
            body["legacy_agentservice"], f"{path}.legacy_agentservice", nullable=True
        ),
        original_2018=_bool(body["original_2018"], f"{path}.original_2018"),
        doubtful=doubtful,
        source=_str(body["source"], f"{path}.source"),
        doubtful_values=doubtful_values,
    )


def _endpoint(raw: Any, path: str, clouds: dict[str, Cloud] | None) -> Endpoint:
    body = _mapping(
        raw,
        path,
        {"id", "pattern", "port", "purpose", "deployments", "bypass_inspection", "source"},
        frozenset({"clouds", "service_tag"}),
    )
    pattern = _str(body["pattern"], f"{path}.pattern")
    if not _HOST_PATTERN.match(pattern) or "*" in pattern[1:]:
        raise _Invalid(f"{path}.pattern", "must be a host name, optionally starting with '*.'")
    port = body["port"]
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise _Invalid(f"{path}.port", "must be a port number from 1 to 65535")
    deployments = []
    for i, item in enumerate(_list(body["deployments"], f"{path}.deployments")):
        try:
            deployments.append(Deployment(item))
        except ValueError:
            choices = ", ".join(d.value for d in Deployment)
            raise _Invalid(
                f"{path}.deployments[{i}]", f"unknown deployment {item!r} (one of: {choices})"
            ) from None
    if not deployments:
        raise _Invalid(f"{path}.deployments", "must name at least one deployment")
    applies_to = _str_list(body.get("clouds", list(clouds or {})), f"{path}.clouds")
    for i, cloud in enumerate(applies_to):
        if clouds is not None and cloud not in clouds:
            raise _Invalid(
                f"{path}.clouds[{i}]",
                f"unknown cloud {cloud!r} (known: {', '.join(sorted(clouds))})",
            )
    try:
        names = placeholders(pattern)
    except ValueError as exc:
        raise _Invalid(f"{path}.pattern", f"malformed placeholder: {exc}") from None
    for name in names:
        if name in REGION_PLACEHOLDERS or clouds is None:
            continue
        missing = [c for c in applies_to if name not in clouds[c].suffixes]
        if missing:
            raise _Invalid(
                f"{path}.pattern", f"placeholder {{{name}}} is not a suffix of cloud {missing[0]!r}"
            )
    return Endpoint(
        id=_str(body["id"], f"{path}.id"),
        pattern=pattern,
        port=port,
        purpose=_str(body["purpose"], f"{path}.purpose"),
        deployments=frozenset(deployments),
        bypass_inspection=_bool(body["bypass_inspection"], f"{path}.bypass_inspection"),
        source=_str(body["source"], f"{path}.source"),
        clouds=frozenset(applies_to),
        service_tag=_str(body.get("service_tag"), f"{path}.service_tag", nullable=True),
    )


def _authority(raw: Any, path: str) -> CertificateAuthority:
    body = _mapping(
        raw,
        path,
        {"name", "sha1", "role", "status", "issuer", "serial", "source"},
        frozenset({"note"}),
    )
    sha1 = _str(body["sha1"], f"{path}.sha1")
    if not _SHA1.match(sha1):
        raise _Invalid(f"{path}.sha1", "must be 40 hexadecimal digits")
    role = body["role"]
    if role not in ("root", "intermediate"):
        raise _Invalid(f"{path}.role", "must be root or intermediate")
    status = body["status"]
    if status not in ("current", "retired"):
        raise _Invalid(f"{path}.status", "must be current or retired")
    serial = body["serial"]
    return CertificateAuthority(
        name=_str(body["name"], f"{path}.name"),
        sha1=sha1.upper(),
        role=role,
        status=status,
        issuer=_str(body["issuer"], f"{path}.issuer"),
        serial=None if serial is None else str(serial),
        source=_str(body["source"], f"{path}.source"),
        note=_str(body.get("note"), f"{path}.note", nullable=True),
    )
