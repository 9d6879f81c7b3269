"""The merged report as one self-contained HTML page: a matrix of hosts by endpoints in which
every cell says its status in words as well as colour and opens to its findings and evidence."""

from __future__ import annotations

from netcheck.fleet.merge import cause_scope
from netcheck.fleet.model import Fleet, HostFinding, HostReport, TargetState
from netcheck.models import HostStatus
from netcheck.report.html_page import badge, esc, evidence, page


def render_fleet(fleet: Fleet) -> str:
    total = len(fleet.hosts)
    counts = ", ".join(f"{n} {k}" for k, n in fleet.counts().items() if n)
    endpoints = sorted({(t.target, t.port) for h in fleet.hosts for t in h.targets})
    body = [
        f"<h1>netcheck fleet report: {badge(fleet.status.value)}</h1>",
        f'<p class="meta">{total} hosts ({esc(counts)}); generated {esc(fleet.generated_at)} '
        f"by netcheck {esc(fleet.tool_version)}</p>",
    ]
    if fleet.causes:
        body.append("<h2>Causes, worst first</h2><ul>")
        body += [
            f"<li>{badge(c.severity.value)} <code>{esc(c.code)}</code>"
            f"{esc(cause_scope(c, total))}: {esc(', '.join(c.hosts))}"
            + (f"<br><small>targets: {esc(', '.join(c.targets))}</small>" if c.targets else "")
            + "</li>"
            for c in fleet.causes
        ]
        body.append("</ul>")
    head = "".join(f'<th class="endpoint" scope="col">{esc(t)}:{p}</th>' for t, p in endpoints)
    body += [
        "<h2>Hosts &times; endpoints</h2>",
        '<table class="matrix"><thead><tr><th scope="col">host</th><th scope="col">status</th>'
        f"{head}</tr></thead><tbody>",
    ]
    body += [_row(h, endpoints) for h in fleet.hosts]
    body.append("</tbody></table>")
    return page(f"netcheck fleet {fleet.status.value.upper()}: {total} hosts", "\n".join(body))


def _row(host: HostReport, endpoints: list[tuple[str, int]]) -> str:
    cells = [
        f'<tr class="host" data-status="{esc(host.status.value)}">'
        f'<th scope="row">{_host_cell(host)}</th><td>{_status_cell(host)}</td>'
    ]
    if host.status is HostStatus.NODATA:
        cells.append(
            f'<td class="s-nodata" colspan="{max(len(endpoints), 1)}">NO DATA: '
            f"{esc(host.reason)}</td>"
        )
    else:
        states = {(t.target, t.port): t for t in host.targets}
        cells += [_cell(states.get(key)) for key in endpoints]
    cells.append("</tr>")
    return "".join(cells)


def _host_cell(host: HostReport) -> str:
    facts = [f"report: {host.source or 'none'}", f"generated: {host.generated_at or '-'}"]
    origin = host.origin or {}
    if origin:
        os_info = origin.get("os", {})
        facts += [
            f"fqdn: {origin.get('fqdn') or 'unknown'}",
            f"os: {os_info.get('name') or os_info.get('system') or 'unknown'}",
            f"addresses: {', '.join(origin.get('addresses', [])) or 'none'}",
            f"netcheck: {origin.get('netcheck_version') or '-'}",
        ]
    facts += [
        f"older report not counted: {s.source} ({s.generated_at or 'no date'})"
        for s in host.superseded
    ]
    items = "".join(f"<li>{esc(f)}</li>" for f in facts)
    return f"<details><summary>{esc(host.name)}</summary><ul>{items}</ul></details>"


def _status_cell(host: HostReport) -> str:
    if not host.run_findings:
        return badge(host.status.value)
    return (
        f"<details><summary>{badge(host.status.value)}</summary>"
        f"{''.join(_finding(f) for f in host.run_findings)}</details>"
    )


def _cell(state: TargetState | None) -> str:
    if state is None:
        return '<td class="none" title="not probed on this host">n/a</td>'
    status = state.status.value
    if not state.findings:
        return f'<td class="s-{esc(status)}">{esc(status.upper())}</td>'
    return (
        f'<td class="s-{esc(status)}"><details><summary>{esc(status.upper())}</summary>'
        f"{''.join(_finding(f) for f in state.findings)}</details></td>"
    )


def _finding(found: HostFinding) -> str:
    return (
        f'<div class="finding">{badge(found.severity.value)} <code>{esc(found.code)}</code> '
        f"{esc(found.message)}{evidence(found.evidence)}</div>"
    )
