"""The cause of a whole run: one finding when every required target fails the same way.

Canaries and port-80 revocation hosts do not count toward "every"; a run needs two counted
targets at least, so that one failing target never becomes a cause, and every counted
target must show the same signal, so that two different faults never do either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from netcheck.findings import codes
from netcheck.findings.base import finding
from netcheck.models import Deployment, Finding, Outcome, Severity, TargetResult

_DNS = {
    Outcome.NXDOMAIN: codes.DNS_NXDOMAIN,
    Outcome.SERVFAIL: codes.DNS_SERVFAIL,
    Outcome.TIMEOUT: codes.DNS_TIMEOUT,
}
_TCP_WORDS = {
    codes.TCP_TIMEOUT.code: "dropped (no answer)",
    codes.TCP_REFUSED.code: "refused (TCP reset)",
    codes.TCP_UNREACHABLE.code: "rejected as unreachable (ICMP)",
}
_PROXY = (codes.PROXY_UNREACHABLE, codes.PROXY_AUTH_REQUIRED, codes.PROXY_DENIED)
# What answers in the service's place when every name leads to one address.
_NOT_THE_SERVICE = (codes.TLS_INTERCEPTED, codes.TLS_HOSTNAME_MISMATCH, codes.HTTP_ERROR)


@dataclass(frozen=True)
class RootCause:
    finding: Finding
    explains: frozenset[str]  # the per-target codes that this cause accounts for


def counted(results: Sequence[TargetResult]) -> list[TargetResult]:
    """The probed required targets: canaries and port-80 revocation hosts left out."""
    return [
        r
        for r in results
        if r.observation is not None
        and not r.target.canary
        and not (r.target.port == 80 and Deployment.REVOCATION in r.target.deployments)
    ]


def root_cause(results: Sequence[TargetResult]) -> RootCause | None:
    """The one signal every counted target shares, or None."""
    required = counted(results)
    if len(required) < 2:
        return None
    canaries = [r for r in results if r.target.canary and r.observation is not None]
    judges: tuple[Callable[[], RootCause | None], ...] = (
        lambda: _dns(required),
        lambda: _redirect(required, canaries),
        lambda: _egress(required),
        lambda: _proxy(required),
        lambda: _interception(required),
    )
    return next((cause for judge in judges if (cause := judge()) is not None), None)


def explained(results: Sequence[TargetResult], cause: RootCause) -> tuple[TargetResult, ...]:
    """Every target's findings that the cause accounts for, marked `explained_by`."""
    code = cause.finding.code

    def mark(found: Finding) -> Finding:
        if found.code not in cause.explains:
            return found
        return replace(found, evidence={**found.evidence, "explained_by": code})

    return tuple(replace(r, findings=tuple(mark(f) for f in r.findings)) for r in results)


def _signals(result: TargetResult) -> set[str]:
    """The codes of what went wrong on a target (doubtful records' failures are warnings)."""
    return {f.code for f in result.findings if f.severity is not Severity.INFO}


def _hosts(results: Sequence[TargetResult]) -> list[str]:
    return [f"{r.target.host}:{r.target.port}" for r in results]


def _direct(results: Sequence[TargetResult]) -> bool:
    return all(r.observation is not None and r.observation.via_proxy is None for r in results)


def _dns(required: list[TargetResult]) -> RootCause | None:
    if not _direct(required):
        return None  # through a proxy the proxy resolves names: local answers are evidence
    outcomes = {r.observation.dns.outcome for r in required if r.observation and r.observation.dns}
    if len(outcomes) != 1 or (outcome := outcomes.pop()) not in _DNS:
        return None
    code = _DNS[outcome].code
    if any(_signals(r) != {code} for r in required):
        return None
    resolvers = sorted(
        {
            s
            for r in required
            if r.observation and r.observation.dns
            for s in r.observation.dns.resolver
        }
    )
    shown = ", ".join(resolvers) or "the system resolver"
    if outcome is Outcome.TIMEOUT:
        what = (
            f"the resolver ({shown}) is unreachable: every name ({len(required)}) timed out "
            "without an answer"
        )
    else:
        answer = "NXDOMAIN" if outcome is Outcome.NXDOMAIN else "SERVFAIL (or REFUSED)"
        what = (
            f"the resolver ({shown}) answers {answer} for every name ({len(required)}): it has "
            "no view of the internet or of these zones"
        )
    return RootCause(
        finding(
            codes.ROOT_DNS,
            what,
            targets=_hosts(required),
            outcome=outcome.value,
            resolver=resolvers,
        ),
        frozenset({code}),
    )


def _redirect(required: list[TargetResult], canaries: list[TargetResult]) -> RootCause | None:
    # Only a name that cannot exist proves that the resolver answers every name.
    if not canaries or not _direct(required + canaries):
        return None
    answers = set()
    for r in required + canaries:
        dns = r.observation.dns if r.observation else None
        if dns is None or dns.outcome is not Outcome.OK:
            return None
        answers.add(tuple(sorted(dns.addresses)))
    if len(answers) != 1:
        return None
    not_service = {c.code for c in _NOT_THE_SERVICE}
    seen: list[Finding] = []
    for r in required:
        wrong = [f for f in r.findings if f.code in not_service and f.severity is Severity.FAIL]
        if not wrong:
            return None
        seen.append(wrong[0])
    addresses = list(answers.pop())
    issuers = sorted({str(f.evidence["issuer"]) for f in seen if f.evidence.get("issuer")})
    what = (
        f"certificates from {'; '.join(issuers)}" if issuers else "a wrong certificate or a portal"
    )
    return RootCause(
        finding(
            codes.ROOT_DNS_REDIRECT,
            f"every name ({len(required)}), and {len(canaries)} that cannot exist, resolves to "
            f"{', '.join(addresses)}, and what answers there is not Azure ({what}): a captive "
            "portal or a DNS filter redirects every name",
            targets=_hosts(required),
            addresses=addresses,
            canaries=_hosts(canaries),
        ),
        frozenset(not_service | {codes.CANARY_ANSWERED.code}),
    )


def _egress(required: list[TargetResult]) -> RootCause | None:
    if not _direct(required):
        return None
    signals = {frozenset(_signals(r)) for r in required}
    if len(signals) != 1:
        return None
    only = signals.pop()
    code = next(iter(only)) if len(only) == 1 else ""
    if code not in _TCP_WORDS:
        return None
    return RootCause(
        finding(
            codes.ROOT_EGRESS_BLOCKED,
            f"every direct TCP connection to port 443 ({len(required)} endpoints) is "
            f"{_TCP_WORDS[code]}: outbound HTTPS from this host is blocked",
            targets=_hosts(required),
            failure=code,
        ),
        frozenset({code}),
    )


def _proxy(required: list[TargetResult]) -> RootCause | None:
    proxy_codes = {c.code for c in _PROXY}
    firsts = []
    for r in required:
        found = [f for f in r.findings if f.code in proxy_codes]
        if len(found) != 1 or _signals(r) != {found[0].code}:
            return None
        firsts.append(found[0])
    # The same failure: the same code, and for an answer the same status.
    if len({(f.code, f.evidence.get("status")) for f in firsts}) != 1:
        return None
    first = firsts[0]
    proxy = required[0].observation.via_proxy if required[0].observation else None
    status = first.evidence.get("status")
    if first.code == codes.PROXY_UNREACHABLE.code:
        what = f"cannot be reached ({first.evidence.get('error')})"
    elif first.code == codes.PROXY_AUTH_REQUIRED.code:
        schemes = first.evidence.get("schemes") or []
        offered = f", offering {', '.join(schemes)}" if schemes else ""
        what = f"wants credentials for every CONNECT (HTTP {status}{offered})"
    else:
        vendor, category = first.evidence.get("vendor"), first.evidence.get("category")
        page = f", {vendor}'s block page" if vendor else ""
        page += f", URL category {category!r}" if category else ""
        what = f"refuses every CONNECT (HTTP {status}{page})"
    evidence = {k: v for k, v in first.evidence.items() if k in ("schemes", "vendor", "category")}
    return RootCause(
        finding(
            codes.ROOT_PROXY,
            f"the proxy {proxy} {what}",
            first.remediation,
            targets=_hosts(required),
            proxy=proxy,
            failure=first.code,
            status=status,
            **evidence,
        ),
        frozenset({first.code}),
    )


def _interception(required: list[TargetResult]) -> RootCause | None:
    firsts = []
    for r in required:
        found = next((f for f in r.findings if f.code == codes.TLS_INTERCEPTED.code), None)
        if found is None or _signals(r) != {found.code}:
            return None
        firsts.append(found)
    if len({f.evidence.get("issuer") for f in firsts}) != 1:
        return None
    first = firsts[0]
    product = first.evidence.get("interceptor")
    by = product or "one inspection CA nobody can name from the certificate"
    return RootCause(
        finding(
            codes.ROOT_INTERCEPTION,
            f"every endpoint ({len(required)}) is intercepted by {by}: each presents a "
            f"certificate issued by {first.evidence.get('issuer')}, not by a CA Microsoft uses",
            first.remediation,
            targets=_hosts(required),
            issuer=first.evidence.get("issuer"),
            interceptor=product,
        ),
        frozenset({codes.TLS_INTERCEPTED.code}),
    )
