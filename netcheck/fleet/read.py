"""Reads reports into HostReports: anything that is not a netcheck report becomes a `nodata`
host with the reason, never an exception, so one broken file cannot stop a fleet's merge."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from netcheck.errors import UsageError
from netcheck.fleet.model import (
    FLEET_SCHEMA,
    HostFinding,
    HostReport,
    TargetState,
)
from netcheck.models import HostStatus, Severity, Status

REPORT_SCHEMA = "netcheck.report/1"
STDIN = "-"
_STATUS_OF_SEVERITY = {Severity.FAIL: Status.FAIL, Severity.WARN: Status.WARN}


class NotAReport(ValueError):
    """The document is not a netcheck report this version reads; the message says why."""


def sources(arguments: Sequence[str]) -> list[str]:
    """The files to read: each argument, every *.json under a folder (sorted), or "-"."""
    found: list[str] = []
    for argument in arguments:
        path = Path(argument)
        if argument == STDIN:
            found.append(STDIN)
        elif path.is_dir():
            found.extend(str(p) for p in sorted(path.rglob("*.json")) if p.is_file())
        elif path.exists():
            found.append(argument)
        else:
            raise UsageError(f"no such file or folder: {argument}")
    return found


def read_text(source: str, stdin: Callable[[], str]) -> str:
    """The text of one source; an unreadable file raises NotAReport with the reason."""
    if source == STDIN:
        return stdin()
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise NotAReport(f"cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise NotAReport("not text (not UTF-8)") from None


def default_name(source: str) -> str:
    """What a host is called when its report does not say: the file name without .json."""
    if source == STDIN:
        return "stdin"
    name = Path(source).name
    return name[: -len(".json")] if name.endswith(".json") and len(name) > 5 else name


def host_reports(paths: Sequence[str], stdin: Callable[[], str]) -> Iterator[HostReport]:
    """One HostReport per source, in order; broken ones are nodata hosts."""
    for source in paths:
        try:
            document = parse_json(read_text(source, stdin))
            yield host_report(document, source)
        except NotAReport as exc:
            yield nodata(default_name(source), source, str(exc))


def nodata(name: str, source: str | None, reason: str) -> HostReport:
    return HostReport(name=name, status=HostStatus.NODATA, source=source, reason=reason)


def parse_json(text: str) -> Any:
    if not text.strip():
        raise NotAReport("empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotAReport(
            f"not JSON, or cut short ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


def check_schema(document: Any, accepted: Sequence[str]) -> str:
    """The document's schema, when it is one of `accepted`."""
    if not isinstance(document, dict):
        raise NotAReport(f"not a netcheck report (a JSON {_kind(document)}, not an object)")
    schema = document.get("schema")
    if schema in accepted:
        return str(schema)
    if schema is None:
        raise NotAReport("not a netcheck report (no 'schema' field)")
    readable = " or ".join(accepted)
    if schema == FLEET_SCHEMA:
        raise NotAReport(f"a merged fleet report ({FLEET_SCHEMA}), not one host's ({readable})")
    raise NotAReport(f"unknown schema {str(schema)[:60]!r} (this netcheck reads {readable})")


def host_report(document: Any, source: str) -> HostReport:
    """One host's `netcheck check` (or `diagnose`) report, checked field by field."""
    check_schema(document, (REPORT_SCHEMA,))
    origin = _optional(document, "origin", dict, "")
    hostname = _optional(origin, "hostname", str, "origin") if origin is not None else None
    targets = tuple(
        _target(entry, f"targets[{i}]")
        for i, entry in enumerate(_field(document, "targets", list, ""))
    )
    run_findings = tuple(
        _finding(entry, None, None, f"findings[{i}]")
        for i, entry in enumerate(_field(document, "findings", list, ""))
    )
    generated_at = _field(document, "generated_at", str, "")
    probed = [t for t in targets if t.status is not Status.SKIP]
    reason = None
    if not probed and not run_findings:
        options = document.get("options")
        why = options.get("not_probed") if isinstance(options, dict) else None
        reason = "nothing was probed" + (f": {why}" if isinstance(why, str) and why else "")
    return HostReport(
        name=hostname.strip() if hostname and hostname.strip() else default_name(source),
        status=HostStatus.NODATA if reason else _verdict(targets, run_findings),
        source=source,
        reason=reason,
        generated_at=generated_at,
        origin=_brief_origin(origin),
        targets=targets,
        run_findings=run_findings,
    )


def comparable_hosts(document: Any, source: str) -> tuple[HostReport, ...]:
    """What `report diff` compares: one host's report, or every host of a merged one."""
    schema = check_schema(document, (REPORT_SCHEMA, FLEET_SCHEMA))
    if schema == REPORT_SCHEMA:
        return (host_report(document, source),)
    return tuple(
        _merged_host(entry, f"hosts[{i}]")
        for i, entry in enumerate(_field(document, "hosts", list, ""))
    )


def _merged_host(entry: Any, where: str) -> HostReport:
    """A host of a merged report: its findings go back to their targets."""
    findings: dict[tuple[str | None, int | None], list[HostFinding]] = {}
    for i, item in enumerate(_field(entry, "findings", list, where)):
        at = f"{where}.findings[{i}]"
        target = _optional(item, "target", str, at)
        port = _optional(item, "port", int, at)
        findings.setdefault((target, port), []).append(_finding(item, target, port, at))
    targets = []
    for i, item in enumerate(_field(entry, "targets", list, where)):
        at = f"{where}.targets[{i}]"
        name = _field(item, "target", str, at)
        port = _field(item, "port", int, at)
        status = _enum(Status, _field(item, "status", str, at), f"{at}.status")
        targets.append(TargetState(name, port, status, tuple(findings.get((name, port), ()))))
    return HostReport(
        name=_field(entry, "name", str, where),
        status=_enum(HostStatus, _field(entry, "status", str, where), f"{where}.status"),
        source=_optional(entry, "source", str, where),
        reason=_optional(entry, "reason", str, where),
        generated_at=_optional(entry, "generated_at", str, where),
        targets=tuple(targets),
        run_findings=tuple(findings.get((None, None), ())),
    )


def _verdict(targets: Sequence[TargetState], run_findings: Sequence[HostFinding]) -> HostStatus:
    statuses = {t.status for t in targets}
    statuses |= {_STATUS_OF_SEVERITY.get(f.severity, Status.PASS) for f in run_findings}
    if Status.FAIL in statuses:
        return HostStatus.FAIL
    return HostStatus.WARN if Status.WARN in statuses else HostStatus.PASS


def _target(entry: Any, where: str) -> TargetState:
    host = _field(entry, "host", str, where)
    if entry.get("canary") is True and "." in host:
        # A canary's name is random per run: one name for all of them lines hosts up.
        host = "(canary)." + host.split(".", 1)[1]
    port = _field(entry, "port", int, where)
    status = _enum(Status, _field(entry, "status", str, where), f"{where}.status")
    findings = tuple(
        _finding(f, host, port, f"{where}.findings[{i}]")
        for i, f in enumerate(_field(entry, "findings", list, where))
    )
    return TargetState(target=host, port=port, status=status, findings=findings)


def _finding(entry: Any, target: str | None, port: int | None, where: str) -> HostFinding:
    evidence = _optional(entry, "evidence", dict, where)
    return HostFinding(
        target=target,
        port=port,
        code=_field(entry, "code", str, where),
        severity=_enum(Severity, _field(entry, "severity", str, where), f"{where}.severity"),
        message=_optional(entry, "message", str, where) or "",
        evidence=evidence or {},
    )


def _brief_origin(origin: dict[str, Any] | None) -> dict[str, Any] | None:
    """The origin's documented fields, where they have their documented types: a merge keeps
    thousands of them, and its renderers trust their shape."""
    if origin is None:
        return None
    brief: dict[str, Any] = {
        k: origin[k]
        for k in ("hostname", "fqdn", "netcheck_version")
        if isinstance(origin.get(k), str)
    }
    os_info = origin.get("os")
    if isinstance(os_info, dict):
        brief["os"] = {k: v for k, v in os_info.items() if isinstance(v, str)}
    addresses = origin.get("addresses")
    if isinstance(addresses, list):
        brief["addresses"] = [a for a in addresses if isinstance(a, str)]
    return brief


def _field(obj: Any, key: str, kind: type, where: str) -> Any:
    value = _optional(obj, key, kind, where)
    if value is None:
        raise NotAReport(f"not a netcheck report: {_path(where, key)} is missing")
    return value


def _optional(obj: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict):
        raise NotAReport(f"not a netcheck report: {where or 'the document'} is not an object")
    value = obj.get(key)
    # bool is an int to Python, never to the contract
    wrong = not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)
    if value is not None and wrong:
        raise NotAReport(
            f"not a netcheck report: {_path(where, key)} is a {_kind(value)}, not a {_kind(kind())}"
        )
    return value


def _enum(kind: type[Status] | type[Severity] | type[HostStatus], value: str, where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(m.value for m in kind)
        raise NotAReport(f"{where}: unknown value {value[:40]!r} (one of {choices})") from None


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


_TYPE_NAMES = {dict: "object", list: "array", str: "string", int: "number", float: "number"}


def _kind(value: Any) -> str:
    """A JSON value's type, in JSON's words."""
    return "boolean" if isinstance(value, bool) else _TYPE_NAMES.get(type(value), "null")
