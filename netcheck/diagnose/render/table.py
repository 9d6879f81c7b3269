"""The diagnose report as text: ranked causes, host facts, the worker, then check's table.

The pieces (causes, host rows, the worker) are shared with the markdown and JUnit renderers.
"""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from netcheck.diagnose.diagnosis import Cause, Diagnosis
from netcheck.diagnose.discovery_model import Discovery
from netcheck.diagnose.host import HostFacts, WindowsTls, gib
from netcheck.models import Severity
from netcheck.report import table

_WIDTH = 100


def render(diagnosis: Diagnosis) -> str:
    lines = [f"DIAGNOSIS: {diagnosis.status.value.upper()} (most likely cause first)", ""]
    lines += causes_text(diagnosis.causes)
    lines += ["", "HOST", tabulate(host_rows(diagnosis.host), tablefmt="plain"), ""]
    lines += ["WORKER", *discovery_text(diagnosis), ""]
    probed = bool(diagnosis.report.results)
    endpoints = table.render(diagnosis.report).rstrip("\n") if probed else "none probed (see above)"
    lines += ["ENDPOINTS", endpoints]
    return "\n".join(lines) + "\n"


def causes_text(causes: tuple[Cause, ...]) -> list[str]:
    if not any(c.severity is not Severity.INFO for c in causes):
        lines = ["No problem found: the worker's host, configuration, logs and endpoints pass."]
    else:
        lines = []
    for n, cause in enumerate(causes, start=1):
        lines.append(f"{n}. [{cause.severity.value.upper()}] {cause.code}  {cause.title}")
        lines += wrapped(cause.summary, "   ")
        for item in cause.evidence:
            lines += wrapped(item, "   - ", "     ")
        lines += wrapped("fix: " + cause.fix, "   ", "        ")
        lines += [f"   see: {doc}" for doc in cause.docs]
    return lines


def wrapped(text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(text, _WIDTH, initial_indent=first, subsequent_indent=rest or first) or [
        first.rstrip()
    ]


def host_rows(facts: HostFacts) -> list[list[str]]:
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
        *([["Windows TLS", _windows_tls(facts.windows_tls)]] if facts.windows_tls else []),
        *(["Unknown", u] for u in facts.unknown),
    ]


def _windows_tls(tls: WindowsTls) -> str:
    strong = ", ".join(
        f"{'32' if 'WOW6432Node' in key else '64'}-bit {key.rsplit(chr(92), 1)[-1]}="
        f"{'unset' if value is None else value}"
        for key, value in tls.strong_crypto.items()
    )
    return f"TLS 1.2 for clients: {tls.tls12_client}; .NET SchUseStrongCrypto: {strong}"


def discovery_text(diagnosis: Diagnosis) -> list[str]:
    discovery: Discovery = diagnosis.discovery
    lines = []
    if not discovery.workers:
        lines.append(f"no worker found below {diagnosis.root}; looked for:")
        lines += [f"  - {item}" for item in discovery.looked_for]
    for worker in discovery.workers:
        registered = {True: "yes", False: "no", None: "unknown"}[worker.registered]
        lines.append(f"{worker.kind.value} (registered: {registered})")
        lines += wrapped("found: " + ", ".join(worker.found), "  ", "    ")
        for service in worker.services:
            lines += wrapped(
                f"service {service.name}: {service.status.value} ({service.how}"
                + (f"; {service.detail}" if service.detail else "")
                + ")",
                "  ",
                "    ",
            )
        for setting in worker.settings:
            lines += wrapped(f"{setting.name} = {setting.value}  ({setting.source})", "  ", "    ")
        for item in worker.unknown:
            lines += wrapped(f"could not read: {item}", "  ", "    ")
    choice = diagnosis.proxy
    used = choice.used
    lines += wrapped(
        f"proxy: {used.shown} from {used.location} ({used.source}): {choice.why}"
        if used
        else f"proxy: none: {choice.why}",
        "",
        "  ",
    )
    for other in choice.candidates:
        if other is not used:
            why = other.ignored or "not used"
            lines += wrapped(f"also set: {other.shown} in {other.location} ({why})", "  ", "    ")
    if choice.pac is not None:
        for decision in choice.pac.decisions:
            lines += wrapped(f"PAC for {decision.host}: {decision.answer}", "  ", "    ")
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
