"""JUnit XML for CI dashboards: one test case per target and step."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from netcheck.models import Finding, Report, Severity
from netcheck.report.steps import STEPS, causes, reached, step_of

# Characters XML 1.0 forbids anywhere. ElementTree writes them as they are, so a proxy's
# reason phrase with an escape sequence would make the whole file unreadable to CI.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(report: Report) -> str:
    suite = ET.Element(
        "testsuite",
        name="netcheck",
        timestamp=report.generated_at,
        time=f"{report.duration_ms / 1000:.3f}",
    )
    tests = failures = skipped = 0
    root = causes(report)
    # The run's cause first, so that a CI dashboard shows it above its consequences; the
    # other findings about the whole run (clock, partial interception) come last.
    for run_finding in root:
        failures += _run_case(suite, run_finding)
        tests += 1
    for result in report.results:
        host = f"{result.target.host}:{result.target.port}"
        obs = result.observation
        for step in STEPS:
            if step == "tls" and result.target.scheme != "https":
                continue  # plain HTTP has no TLS step, probed or skipped
            case = ET.SubElement(suite, "testcase", classname=host, name=step)
            tests += 1
            if obs is None:
                ET.SubElement(case, "skipped", message=result.target.skip_reason or "not probed")
                skipped += 1
                continue
            found = [f for f in result.findings if step_of(f.code) == step]
            fails = [f for f in found if f.severity is Severity.FAIL]
            if fails:
                failures += 1
                failure = ET.SubElement(
                    case, "failure", message=fails[0].message, type=fails[0].code
                )
                failure.text = "\n".join(
                    f"{f.code}: {f.message}\nfix: {f.remediation}" for f in fails
                )
            elif not reached(obs, step):
                ET.SubElement(case, "skipped", message="not reached: an earlier step failed")
                skipped += 1
            others = [f for f in found if f.severity is not Severity.FAIL]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"{f.severity.value}: {f.code}: {f.message}" for f in others)
    for run_finding in report.findings:
        if run_finding not in root:
            failures += _run_case(suite, run_finding)
            tests += 1
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return xml_document(suite)


def xml_document(root: ET.Element) -> str:
    """The element as an indented XML 1.0 document that CI tools can always parse."""
    ET.indent(root)
    text = _NOT_XML.sub("\ufffd", ET.tostring(root, encoding="unicode"))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"


def _run_case(suite: ET.Element, run_finding: Finding) -> int:
    """A finding about the whole run as a test case of its own; 1 when it is a failure."""
    case = ET.SubElement(suite, "testcase", classname="run", name=run_finding.code)
    if run_finding.severity is Severity.FAIL:
        failure = ET.SubElement(case, "failure", message=run_finding.message, type=run_finding.code)
        failure.text = f"{run_finding.code}: {run_finding.message}\nfix: {run_finding.remediation}"
        return 1
    out = ET.SubElement(case, "system-out")
    out.text = f"{run_finding.severity.value}: {run_finding.code}: {run_finding.message}"
    return 0
