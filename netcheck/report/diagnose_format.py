"""The diagnose report in every format: the check report plus host, agent and diagnosis.

The JSON form is check's contract (report_dict) with three keys added; docs/diagnose.md.
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from tabulate import tabulate

from netcheck.diagnose.agent import Discovery, Worker
from netcheck.diagnose.diagnosis import Cause, Diagnosis
from netcheck.diagnose.host import HostFacts, gib
from netcheck.diagnose.proxy import ProxyCandidate
from netcheck.models import Finding, Severity
from netcheck.report import Format, json_format, junit, markdown, table
from netcheck.report.json_format import plain

_WIDTH = 100


# ---------------------------------------------------------------- JSON


def diagnose_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    return {
        **json_format.report_dict(diagnosis.report),
        "host": host_dict(diagnosis.host, diagnosis.host_findings),
        "agent": agent_dict(diagnosis),
        "diagnosis": [
            {"rank": n, **plain(cause)} for n, cause in enumerate(diagnosis.causes, start=1)
        ],
    }


def host_dict(facts: HostFacts, verdicts: tuple[Finding, ...]) -> dict[str, Any]:
    return {
        "os": plain(facts.os),
        "supported_for": list(facts.supported_for()),
        "cpu_cores": facts.cpu_cores,
        "memory_bytes": facts.memory_bytes,
        "disk": {"path": facts.disk_path, "free_bytes": facts.disk_free_bytes},
        "tls_library": plain(facts.tls),
        "unknown": list(facts.unknown),
        "verdicts": [plain(f) for f in verdicts],
    }


def agent_dict(diagnosis: Diagnosis) -> dict[str, Any]:
    selection = diagnosis.scope.selection
    choice = diagnosis.proxy
    return {
        "workers": [_worker_dict(w) for w in diagnosis.discovery.workers],
        "looked_for": list(diagnosis.discovery.looked_for),
        "workspace_id": selection.workspace_id if selection else None,
        "automation_account_id": selection.account_id if selection else None,
        "region": selection.region.name if selection else None,
        "region_source": diagnosis.scope.region_source,
        "not_probed": diagnosis.scope.problem,
        "proxy": {
            "used": _candidate_dict(choice.used) if choice.used else None,
            "why": choice.why,
            "candidates": [_candidate_dict(c) for c in choice.candidates],
            "no_proxy": choice.no_proxy,
        },
        "logs": {
            "scanned": list(diagnosis.logs.scanned),
            "matches": [plain(m) for m in diagnosis.logs.matches],
        },
        "findings": [plain(f) for f in (*diagnosis.agent_findings, *diagnosis.log_findings)],
    }


def _worker_dict(worker: Worker) -> dict[str, Any]:
    # Field by field: a worker's proxies hold passwords, which plain() would copy.
    return {
        "kind": worker.kind.value,
        "deployments": plain(worker.deployments),
        "found": list(worker.found),
        "registered": worker.registered,
        "settings": [plain(s) for s in worker.settings],
        "services": [plain(s) for s in worker.services],
        "proxies": [_candidate_dict(p) for p in worker.proxies],
        "unknown": list(worker.unknown),
        "files": list(worker.files),
    }


def _candidate_dict(candidate: ProxyCandidate) -> dict[str, Any]:
    return {
        "source": candidate.source,
        "location": candidate.location,
        "proxy": candidate.shown,
        "usable": candidate.settings is not None,
        "problem": candidate.problem,
    }


def _json(diagnosis: Diagnosis) -> str:
    return json.dumps(diagnose_dict(diagnosis), indent=2) + "\n"


# ---------------------------------------------------------------- text


def _table(diagnosis: Diagnosis) -> str:
    lines = [f"DIAGNOSIS: {diagnosis.status.value.upper()} (most likely cause first)", ""]
    lines += _causes_text(diagnosis.causes)
    lines += ["", "HOST", tabulate(_host_rows(diagnosis.host), tablefmt="plain"), ""]
    lines += ["WORKER", *_discovery_text(diagnosis), ""]
    probed = bool(diagnosis.report.results)
    endpoints = table.render(diagnosis.report).rstrip("\n") if probed else "none probed (see above)"
    lines += ["ENDPOINTS", endpoints]
    return "\n".join(lines) + "\n"


def _causes_text(causes: tuple[Cause, ...]) -> list[str]:
    if not any(c.severity is not Severity.INFO for c in causes):
        lines = ["No problem found: the worker's host, configuration, logs and endpoints pass."]
    else:
        lines = []
    for n, cause in enumerate(causes, start=1):
        lines.append(f"{n}. [{cause.severity.value.upper()}] {cause.code}  {cause.title}")
        lines += _wrapped(cause.summary, "   ")
        for item in cause.evidence:
            lines += _wrapped(item, "   - ", "     ")
        lines += _wrapped("fix: " + cause.fix, "   ", "        ")
        lines += [f"   see: {doc}" for doc in cause.docs]
    return lines


def _wrapped(text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(text, _WIDTH, initial_indent=first, subsequent_indent=rest or first) or [
        first.rstrip()
    ]


def _host_rows(facts: HostFacts) -> list[list[str]]:
    os_text = (
        f"{facts.os.name or facts.os.id} ({facts.os.id} {facts.os.version_id}); supported for: "
        f"{', '.join(facts.supported_for()) or 'no worker type'}"
        if facts.os
        else "unknown"
    )
    tls = facts.tls
    return [
        ["OS", os_text],
        ["CPU cores", str(facts.cpu_cores) if facts.cpu_cores is not None else "unknown"],
        ["Memory", gib(facts.memory_bytes) if facts.memory_bytes is not None else "unknown"],
        [
            "Free disk",
            f"{gib(facts.disk_free_bytes)} on {facts.disk_path}"
            if facts.disk_free_bytes is not None
            else "unknown",
        ],
        [
            "TLS library",
            f"{tls.version}: TLS 1.2 {'yes' if tls.tls1_2 else 'no'}, "
            f"TLS 1.3 {'yes' if tls.tls1_3 else 'no'}",
        ],
        *(["Unknown", u] for u in facts.unknown),
    ]


def _discovery_text(diagnosis: Diagnosis) -> list[str]:
    discovery: Discovery = diagnosis.discovery
    lines = []
    if not discovery.workers:
        lines.append(f"no worker found below {diagnosis.root}; looked for:")
        lines += [f"  - {item}" for item in discovery.looked_for]
    for worker in discovery.workers:
        registered = {True: "yes", False: "no", None: "unknown"}[worker.registered]
        lines.append(f"{worker.kind.value} (registered: {registered})")
        lines += _wrapped("found: " + ", ".join(worker.found), "  ", "    ")
        for service in worker.services:
            lines += _wrapped(
                f"service {service.name}: {service.status.value} ({service.how}"
                + (f"; {service.detail}" if service.detail else "")
                + ")",
                "  ",
                "    ",
            )
        for setting in worker.settings:
            lines += _wrapped(f"{setting.name} = {setting.value}  ({setting.source})", "  ", "    ")
        for item in worker.unknown:
            lines += _wrapped(f"could not read: {item}", "  ", "    ")
    choice = diagnosis.proxy
    used = choice.used
    lines += _wrapped(
        f"proxy: {used.shown} from {used.location} ({used.source}): {choice.why}"
        if used
        else f"proxy: none: {choice.why}",
        "",
        "  ",
    )
    for other in choice.candidates[1:]:
        lines += _wrapped(f"also set: {other.shown} in {other.location} (not used)", "  ", "    ")
    if choice.no_proxy:
        lines.append(f"  NO_PROXY: {choice.no_proxy}")
    selection = diagnosis.scope.selection
    lines.append(
        f"region: {selection.region.name} (from {diagnosis.scope.region_source})"
        if selection
        else f"region: unknown ({diagnosis.scope.problem}); endpoints not probed"
    )
    logs = diagnosis.logs
    lines.append(f"logs: {len(logs.scanned)} file(s) scanned, {len(logs.matches)} matching line(s)")
    return lines


def _markdown(diagnosis: Diagnosis) -> str:
    lines = [f"# netcheck diagnosis: {diagnosis.status.value.upper()}", "", "## Diagnosis", ""]
    if not diagnosis.causes:
        lines.append("No problem found.")
    for n, cause in enumerate(diagnosis.causes, start=1):
        lines += [f"{n}. **{cause.severity.value.upper()} `{cause.code}`** {cause.summary}"]
        lines += [f"   - {_md(item)}" for item in cause.evidence]
        lines += [f"   - **Fix:** {_md(cause.fix)}"]
        lines += [f"   - See: {doc}" for doc in cause.docs]
    lines += ["", "## Host", "", "| Fact | Value |", "|---|---|"]
    lines += [f"| {name} | {_md(value)} |" for name, value in _host_rows(diagnosis.host)]
    lines += ["", "## Worker", "", "```", *_discovery_text(diagnosis), "```", ""]
    endpoints = markdown.render(diagnosis.report)
    # The check report goes one heading level down, under this document's title.
    lines += [("#" + line if line.startswith("#") else line) for line in endpoints.splitlines()]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _junit(diagnosis: Diagnosis) -> str:
    """check's suite, then a suite with one case per host, worker and log finding."""
    suites = ET.Element("testsuites", name="netcheck diagnose")
    check_xml = junit.render(diagnosis.report).split("?>", 1)[1]
    suites.append(ET.fromstring(check_xml))
    suite = ET.SubElement(suites, "testsuite", name="netcheck.diagnose")
    failures = 0
    findings = [
        *(("host", f) for f in diagnosis.host_findings),
        *(("worker", f) for f in diagnosis.agent_findings),
        *(("logs", f) for f in diagnosis.log_findings),
    ]
    for where, found in findings:
        case = ET.SubElement(suite, "testcase", classname=where, name=found.code)
        if found.severity is Severity.FAIL:
            failures += 1
            failure = ET.SubElement(case, "failure", message=found.message, type=found.code)
            failure.text = f"fix: {found.remediation}"
        else:
            out = ET.SubElement(case, "system-out")
            out.text = f"{found.severity.value}: {found.message}"
    summary = ET.SubElement(suite, "testcase", classname="diagnosis", name="ranked causes")
    ET.SubElement(summary, "system-out").text = "\n".join(_causes_text(diagnosis.causes))
    suite.set("tests", str(len(findings) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


RENDERERS: dict[Format, Callable[[Diagnosis], str]] = {
    Format.TABLE: _table,
    Format.JSON: _json,
    Format.JUNIT: _junit,
    Format.MARKDOWN: _markdown,
}

# The file name of each format inside a support bundle.
BUNDLE_NAMES: dict[Format, str] = {
    Format.TABLE: "report.txt",
    Format.JSON: "report.json",
    Format.JUNIT: "report.junit.xml",
    Format.MARKDOWN: "report.md",
}


def render(diagnosis: Diagnosis, fmt: Format) -> str:
    return RENDERERS[fmt](diagnosis)
