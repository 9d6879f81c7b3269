"""Scans the tails of the worker's and agent's logs for the signatures of known failures."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.redact import redact_text
from netcheck.findings import codes
from netcheck.findings.base import finding
from netcheck.findings.codes import Code
from netcheck.models import Finding

TAIL_BYTES = 256 * 1024
_QUOTED = 5  # lines quoted per signature; the rest are counted
_LINE_CHARS = 400

# Where each worker type writes (reference: worker and agent log locations), as globs.
LOG_GLOBS = (
    "/var/opt/microsoft/omsagent/run/automationworker/*.log",
    "/var/opt/microsoft/omsagent/*/log/omsagent.log",
    "/var/opt/microsoft/omsagent/log/*.log",
    "/var/opt/microsoft/omsconfig/omsconfig.log",
    "/var/log/azure/Microsoft.Azure.Automation.HybridWorker.HybridWorkerForLinux/*.log",
    "/home/hweautomation/**/*.log",
    "/home/nxautomation/run/*",
    "/HybridWorkerExtensionLogs/*.log",
)


@dataclass(frozen=True)
class Signature:
    code: Code
    pattern: re.Pattern[str]


# The first signature that matches a line names it, so the most specific come first.
SIGNATURES = (
    # The text of event 4502 (and of the Linux worker's equivalent message).
    Signature(
        codes.LOG_TLS_INTERCEPTION,
        re.compile(r"not issued by a certificate authority used for Microsoft services", re.I),
    ),
    Signature(
        codes.LOG_PROXY_ERROR,
        re.compile(
            r"proxy authentication required|(?:status(?:[ _]?code)?|http(?:/1\.[01])?)\W{0,3}407\b|"
            r"could not resolve proxy|"
            r"received http code \d+ from proxy|proxy connect aborted|tunnel connection failed|"
            r"proxyerror|unable to connect to proxy|proxy error",
            re.I,
        ),
    ),
    Signature(
        codes.LOG_CERT_VERIFY_FAILED,
        re.compile(
            r"certificate verify failed|ssl certificate problem|certificate_verify_failed|"
            r"unable to get local issuer certificate|self[- ]signed certificate in certificate "
            r"chain|the remote certificate is invalid|could not establish trust relationship",
            re.I,
        ),
    ),
    Signature(
        codes.LOG_AUTH_REJECTED,
        re.compile(
            r"(?:status(?:[ _]?code)?|response_status|http(?:/1\.[01])?|error code)\W{0,3}"
            r"(?:401|403)\b|\b401 unauthorized\b|\b403 forbidden\b",
            re.I,
        ),
    ),
)
_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?|"
    r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}(?: [AP]M)?)"
)


@dataclass(frozen=True)
class LogLine:
    code: str
    file: str
    time: str | None  # as the log wrote it; None when the line carries no time
    text: str  # redacted


@dataclass(frozen=True)
class LogScan:
    scanned: tuple[str, ...]
    tails: tuple[tuple[str, str], ...]  # (file, redacted tail) for the support bundle
    matches: tuple[LogLine, ...]


def scan(files: HostFiles, globs: Sequence[str] = LOG_GLOBS) -> LogScan:
    paths = list(dict.fromkeys(p for g in globs for p in files.glob(g) if files.at(p).is_file()))
    tails = []
    matches = []
    for path in paths:
        text = files.read(path, tail=TAIL_BYTES)
        if text is None:
            continue
        tails.append((path, redact_text(text)))
        matches += match_lines(path, text)
    return LogScan(tuple(p for p, _ in tails), tuple(tails), tuple(matches))


def match_lines(path: str, text: str) -> list[LogLine]:
    found = []
    for line in text.splitlines():
        signature = next((s for s in SIGNATURES if s.pattern.search(line)), None)
        if signature is not None:
            stamp = _TIME.search(line)
            found.append(
                LogLine(
                    signature.code.code,
                    path,
                    stamp.group(1) if stamp else None,
                    redact_text(line.strip())[:_LINE_CHARS],
                )
            )
    return found


def judge(result: LogScan) -> list[Finding]:
    """One finding per signature: how often, first and last time, the latest lines quoted."""
    found = []
    for signature in SIGNATURES:
        lines = [m for m in result.matches if m.code == signature.code.code]
        if not lines:
            continue
        timed = [m.time for m in lines if m.time]
        latest = lines[-_QUOTED:]
        last = latest[-1]
        quoted = f"{last.file}{' at ' + last.time if last.time else ''}: {last.text}"
        found.append(
            finding(
                signature.code,
                f"{len(lines)} line(s) in the worker's logs, latest: {quoted}",
                count=len(lines),
                first=timed[0] if timed else None,
                last=timed[-1] if timed else None,
                files=sorted({m.file for m in lines}),
                lines=[{"file": m.file, "time": m.time, "text": m.text} for m in latest],
            )
        )
    return found
