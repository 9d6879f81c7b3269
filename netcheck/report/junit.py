"""JUnit XML for CI dashboards: one test case per target and step."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from netcheck.models import Report, Severity
from netcheck.report.steps import STEPS, reached, step_of

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
        # Findings about the whole run (clock, partial interception) get a case of their own.
        case = ET.SubElement(suite, "testcase", classname="run", name=run_finding.code)
        tests += 1
        if run_finding.severity is Severity.FAIL:
            failures += 1
            ET.SubElement(case, "failure", message=run_finding.message, type=run_finding.code)
        else:
            out = ET.SubElement(case, "system-out")
            out.text = f"{run_finding.severity.value}: {run_finding.code}: {run_finding.message}"
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
