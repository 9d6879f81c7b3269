"""The diagnose report as JUnit XML: check's suite, then one for the host, worker and logs."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from netcheck.diagnose.diagnosis import Diagnosis
from netcheck.diagnose.render.table import causes_text
from netcheck.models import Severity
from netcheck.report import junit


def render(diagnosis: Diagnosis) -> str:
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
    ET.SubElement(summary, "system-out").text = "\n".join(causes_text(diagnosis.causes))
    suite.set("tests", str(len(findings) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
