"""One host's report as a self-contained HTML page: per target the steps (DNS, proxy, TCP,
TLS, HTTP) as a timing bar, the presented certificate chain, and the findings with evidence."""

from __future__ import annotations

from netcheck.models import CertificateInfo, Finding, Report, TargetResult
from netcheck.report.html_page import badge, esc, evidence, page
from netcheck.report.json_format import summary
from netcheck.report.steps import summary_line

_STEPS = ("dns", "proxy", "tcp", "tls", "http")
_BAR_WIDTH = 1000  # the bar's viewBox width; SVG geometry, not an inline style the CSP forbids


def render(report: Report) -> str:
    s = summary(report)
    opts = report.options
    origin = report.origin
    where = origin.hostname if origin else "this host"
    counts = ", ".join(f"{n} {k}" for k, n in s["counts"].items() if n)
    head = [
        f"<h1>netcheck report for {esc(where)}: {badge(s['status'])}</h1>",
        f'<p class="meta">{esc(s["targets"])} targets ({esc(counts)}) in '
        f"{report.duration_ms / 1000:.1f} s; generated {esc(report.generated_at)} by netcheck "
        f"{esc(report.tool_version)}</p>",
        f'<p class="meta">region {esc(opts.region)} ({esc(opts.cloud)} cloud); deployments '
        f"{esc(', '.join(opts.deployments))}; proxy {esc(opts.proxy or 'none (direct)')}</p>",
    ]
    if origin is not None:
        head.append(
            f'<p class="meta">host {esc(origin.hostname)} (fqdn {esc(origin.fqdn or "unknown")}),'
            f" {esc(origin.os.name or origin.os.system)}, addresses "
            f"{esc(', '.join(origin.addresses) or 'none found')}</p>"
        )
    body = head + _legend()
    if report.findings:
        body.append("<h2>The run as a whole</h2>")
        body += [_finding(f) for f in report.findings]
    slowest = max((_total(r) for r in report.results), default=0.0) or 1.0
    body.append("<h2>Targets</h2>")
    body += [_target(r, slowest) for r in report.results]
    return page(f"netcheck {s['status'].upper()}: {where}", "\n".join(body))


def _legend() -> list[str]:
    items = "".join(
        f'<span><svg viewBox="0 0 1 1" aria-hidden="true"><rect class="step-{step}" '
        f'width="1" height="1"/></svg>{step.upper()}</span>'
        for step in _STEPS
    )
    return [f'<p class="legend">Timing bars: {items}</p>']


def _durations(result: TargetResult) -> list[tuple[str, str, float]]:
    obs = result.observation
    if obs is None:
        return []
    found = []
    for step in _STEPS:
        seen = getattr(obs, step)
        if seen is not None:
            found.append((step, seen.outcome.value, float(seen.duration_ms)))
    return found


def _total(result: TargetResult) -> float:
    return sum(ms for _, _, ms in _durations(result))


def _bar(result: TargetResult, slowest: float) -> str:
    steps = _durations(result)
    if not steps:
        return ""
    rects, x = [], 0.0
    for step, outcome, ms in steps:
        width = max(ms / slowest * _BAR_WIDTH, 2.0)
        rects.append(
            f'<rect class="step-{step}" x="{x:.1f}" width="{width:.1f}" height="10">'
            f"<title>{step.upper()} {esc(outcome)} {ms:.1f} ms</title></rect>"
        )
        x += width
    text = " · ".join(f"{step.upper()} {esc(outcome)} {ms:.1f} ms" for step, outcome, ms in steps)
    return (
        f'<svg class="bar" viewBox="0 0 {_BAR_WIDTH} 10" preserveAspectRatio="none" '
        f'role="img" aria-label="{text}">{"".join(rects)}</svg><p class="meta">{text}</p>'
    )


def _target(result: TargetResult, slowest: float) -> str:
    t = result.target
    parts = [
        f'<section class="target" id="{esc(t.host)}:{t.port}">',
        f"<h3>{badge(result.status.value)} <code>{esc(t.host)}:{t.port}</code></h3>",
        f'<p class="meta">{esc(t.purpose)}; {esc(summary_line(result))}</p>',
        _bar(result, slowest),
    ]
    obs = result.observation
    if obs is not None and obs.tls is not None and obs.tls.chain:
        parts.append(_chain(obs.tls.chain))
    parts += [_finding(f) for f in result.findings]
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def _chain(chain: tuple[CertificateInfo, ...]) -> str:
    rows = "".join(
        f"<tr><td>{i}</td><td>{esc(c.subject)}</td><td>{esc(c.issuer)}</td>"
        f"<td>{esc(c.not_before)} to {esc(c.not_after)}</td><td>{esc(c.key_type)}</td>"
        f"<td><code>{esc(c.sha256)}</code></td></tr>"
        for i, c in enumerate(chain)
    )
    return (
        '<table class="chain"><caption>certificate chain as presented, leaf first</caption>'
        "<tr><th>#</th><th>subject</th><th>issuer</th><th>valid</th><th>key</th>"
        f"<th>SHA-256</th></tr>{rows}</table>"
    )


def _finding(found: Finding) -> str:
    return (
        f'<div class="finding">{badge(found.severity.value)} <code>{esc(found.code)}</code> '
        f"{esc(found.message)}<br><b>Fix:</b> {esc(found.remediation)}"
        f"{evidence(found.evidence)}</div>"
    )
