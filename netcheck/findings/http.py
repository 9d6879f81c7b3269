"""Rules for the HTTP answer that came over the probed connection."""

from __future__ import annotations

from typing import Any

from netcheck.blockpages import recognise
from netcheck.findings import codes
from netcheck.findings.base import RuleContext, finding
from netcheck.models import Finding, Observation, Outcome, Severity, Target

# Headers that only a proxy or filter adds to an answer it generated itself.
_MIDDLEBOX_HEADERS = ("x-squid-error", "proxy-status", "x-block-reason")
# 407: proxy credentials, 451: blocked for legal reasons, 511: captive portal.
_MIDDLEBOX_STATUS = (407, 451, 511)


def http_rules(target: Target, obs: Observation, ctx: RuleContext) -> list[Finding]:
    http = obs.http
    if http is None:
        return []
    if http.outcome is not Outcome.OK:
        return [
            finding(
                codes.HTTP_ERROR,
                f"{target.host}: no usable HTTP answer ({http.error})",
                error=http.error,
            )
        ]
    assert http.status is not None
    evidence: dict[str, Any] = {
        "status": http.status,
        "reason": http.reason,
        "server": http.headers.get("server"),
        "body_excerpt": http.body_excerpt,
    }
    markers = [h for h in _MIDDLEBOX_HEADERS if h in http.headers]
    if http.status in _MIDDLEBOX_STATUS or markers:
        page = (
            recognise(http.headers, http.body_excerpt, ctx.block_pages) if ctx.block_pages else None
        )
        who = f"{page.vendor} " if page and page.vendor else "a proxy or filter "
        category = f", URL category {page.category!r}" if page and page.category else ""
        return [
            finding(
                codes.HTTP_ERROR,
                f"{target.host}: {who}answered instead of Azure "
                f"(HTTP {http.status} {http.reason}".rstrip()
                + f"){category}",
                markers=markers,
                vendor=page.vendor if page else None,
                category=page.category if page else None,
                **evidence,
            )
        ]
    if http.status >= 500:
        found = finding(
            codes.HTTP_ERROR,
            f"{target.host}: the service answered with a server error "
            f"(HTTP {http.status} {http.reason})".rstrip(),
            **evidence,
        )
        return [
            Finding(found.code, Severity.WARN, found.message, found.remediation, found.evidence)
        ]
    return []
