"""Rules over the whole run: the canary, revocation hosts, the resolver configuration, the clock,
partial interception."""

from __future__ import annotations

import datetime as dt
import email.utils
import statistics
from collections.abc import Sequence

from netcheck.findings import codes
from netcheck.findings.base import RuleContext, finding
from netcheck.models import (
    OS_RESOLVER,
    Finding,
    Observation,
    Outcome,
    Severity,
    Target,
    TargetResult,
)

_SKEW_LIMIT_S = 300


def canary_rules(target: Target, obs: Observation, ctx: RuleContext) -> list[Finding]:
    """A name that cannot exist must not resolve (directly) or be tunnelled to (proxy)."""
    if obs.via_proxy is None:
        answered = obs.dns is not None and obs.dns.outcome is Outcome.OK
        how = (
            f"the resolver answered {', '.join(obs.dns.addresses)}" if answered and obs.dns else ""
        )
    else:
        # A tunnel alone proves little (some proxies accept CONNECT before resolving); a
        # certificate or an HTTP answer for a name that does not exist proves a lot.
        answered = obs.tls is not None and obs.tls.outcome is Outcome.OK
        how = f"the proxy {obs.via_proxy} opened a tunnel and something completed TLS"
    if not answered:
        return []
    leaf = obs.tls.chain[0] if obs.tls is not None and obs.tls.chain else None
    return [
        finding(
            codes.CANARY_ANSWERED,
            f"{target.host} cannot exist, yet {how}: something answers every name, so other "
            "passes may not have reached Azure",
            addresses=list(obs.dns.addresses) if obs.dns else [],
            issuer=leaf.issuer if leaf else None,
            http_status=obs.http.status if obs.http else None,
            via_proxy=obs.via_proxy,
        )
    ]


def as_revocation(found: Finding, target: Target) -> Finding:
    """A failure on a port-80 revocation host is a warning with its own code."""
    if found.severity is not Severity.FAIL:
        return found
    return finding(
        codes.REVOCATION_UNREACHABLE,
        f"revocation host {target.host}:{target.port} unreachable: {found.message}",
        cause=found.code,
        **found.evidence,
    )


def run_rules(results: Sequence[TargetResult], ctx: RuleContext) -> list[Finding]:
    return [*_resolver_configuration(results), *_clock(results), *_partial_interception(results)]


def _resolver_configuration(results: Sequence[TargetResult]) -> list[Finding]:
    """dnspython could not read the system's resolvers, so the OS resolver answered alone."""
    lookups = [
        r.observation.dns
        for r in results
        if r.observation is not None
        and r.observation.dns is not None
        and OS_RESOLVER in r.observation.dns.resolver
    ]
    if not lookups:
        return []
    error = lookups[0].error or ""
    return [
        finding(
            codes.DNS_RESOLVER_CONFIG,
            f"{error.split('; ')[0]}: {len(lookups)} name(s) were resolved by the operating "
            "system's resolver instead, without CNAME chains or the DNS server's own answer",
            error=error,
            names=len(lookups),
        )
    ]


def _clock(results: Sequence[TargetResult]) -> list[Finding]:
    samples = []
    for r in results:
        obs = r.observation
        intercepted = any(f.code == codes.TLS_INTERCEPTED.code for f in r.findings)
        if obs is None or obs.http is None or r.target.canary or intercepted:
            continue
        date = obs.http.headers.get("date")
        parsed = email.utils.parsedate_to_datetime(date) if date else None
        if parsed is None or parsed.tzinfo is None:
            continue
        local = dt.datetime.fromisoformat(obs.checked_at)
        samples.append(((parsed - local).total_seconds(), r.target.host, date, obs.checked_at))
    if not samples:
        return []
    skew = statistics.median(s[0] for s in samples)
    if abs(skew) <= _SKEW_LIMIT_S:
        return []
    _, host, date, local_time = min(samples, key=lambda s: abs(s[0] - skew))
    direction = "behind" if skew > 0 else "ahead of"
    return [
        finding(
            codes.CLOCK_SKEW,
            f"this host's clock is {abs(skew) / 60:.0f} minutes {direction} Azure's "
            f"({host} said {date}; here it was {local_time})",
            skew_seconds=round(skew),
            host=host,
            server_date=date,
            local_time=local_time,
        )
    ]


def _partial_interception(results: Sequence[TargetResult]) -> list[Finding]:
    shaken = [
        r
        for r in results
        if not r.target.canary
        and r.observation is not None
        and r.observation.tls is not None
        and r.observation.tls.outcome is Outcome.OK
    ]
    intercepted = sorted(
        r.target.host
        for r in shaken
        if any(f.code == codes.TLS_INTERCEPTED.code for f in r.findings)
    )
    clean = sorted(r.target.host for r in shaken if r.target.host not in intercepted)
    if not intercepted or not clean:
        return []
    return [
        finding(
            codes.TLS_INTERCEPTION_PARTIAL,
            f"{len(intercepted)} of {len(shaken)} endpoints are intercepted: "
            f"{', '.join(intercepted)}; the others present Microsoft's certificates",
            intercepted=intercepted,
            not_intercepted=clean,
        )
    ]
