"""The merged report as JUnit XML: one test suite per host, one test case per target."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from netcheck.fleet.model import Fleet, HostReport
from netcheck.models import HostStatus, Severity, Status
from netcheck.report.junit import xml_document


def render_fleet(fleet: Fleet) -> str:
    root = ET.Element("testsuites", name="netcheck fleet", timestamp=fleet.generated_at)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for host in fleet.hosts:
        suite = _suite(host)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    return xml_document(root)


def _suite(host: HostReport) -> ET.Element:
    suite = ET.Element("testsuite", name=host.name)
    if host.generated_at:
        suite.set("timestamp", host.generated_at)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if host.status is HostStatus.NODATA:
        # No report is an error of the run, not a failing target: CI shows it apart.
        case = ET.SubElement(suite, "testcase", classname=host.name, name="report")
        ET.SubElement(case, "error", message=host.reason or "no data", type="NODATA")
        counts["tests"] = counts["errors"] = 1
    for target in host.targets:
        case = ET.SubElement(
            suite, "testcase", classname=host.name, name=f"{target.target}:{target.port}"
        )
        counts["tests"] += 1
        fails = [f for f in target.findings if f.severity is Severity.FAIL]
        if target.status is Status.SKIP:
            ET.SubElement(case, "skipped", message="not probed")
            counts["skipped"] += 1
        elif fails:
            failure = ET.SubElement(case, "failure", message=fails[0].message, type=fails[0].code)
            failure.text = "\n".join(f"{f.code}: {f.message}" for f in fails)
            counts["failures"] += 1
        others = [f for f in target.findings if f.severity is not Severity.FAIL]
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"{f.severity.value}: {f.code}: {f.message}" for f in others)
    for found in host.run_findings:
        case = ET.SubElement(suite, "testcase", classname=host.name, name=f"run {found.code}")
        counts["tests"] += 1
        if found.severity is Severity.FAIL:
            ET.SubElement(case, "failure", message=found.message, type=found.code)
            counts["failures"] += 1
        else:
            out = ET.SubElement(case, "system-out")
            out.text = f"{found.severity.value}: {found.code}: {found.message}"
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite
