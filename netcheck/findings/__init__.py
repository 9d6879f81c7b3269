"""The rule engine: pure functions from what a probe saw to findings with stable codes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from netcheck import DEFAULT_EXPIRY_WARNING_DAYS
from netcheck.blockpages import load_signatures
from netcheck.findings.base import RuleContext
from netcheck.findings.causes import explained, root_cause
from netcheck.findings.http import http_rules
from netcheck.findings.network import connection_rules, dns_rules
from netcheck.findings.run_level import as_revocation, canary_rules, run_rules
from netcheck.findings.tls import tls_rules
from netcheck.interceptors import load_products
from netcheck.models import (
    Catalogue,
    Deployment,
    Finding,
    Observation,
    Severity,
    Status,
    Target,
    TargetResult,
    status_of,
)

__all__ = ["context_for", "evaluate", "judge_run"]

Rule = Callable[[Target, Observation, RuleContext], list[Finding]]

# In the order the steps happen, so a report reads from the first problem on the path.
RULES: tuple[Rule, ...] = (dns_rules, connection_rules, tls_rules, http_rules)


def context_for(
    catalogue: Catalogue,
    bypass_domains: tuple[str, ...] = (),
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS,
) -> RuleContext:
    issuers = {
        ca.name
        for ca in catalogue.authorities
        if ca.status == "current" and ca.role == "intermediate"
    }
    return RuleContext(
        catalogue.microsoft_names(),
        catalogue.microsoft_thumbprints(),
        load_products(),
        tuple(sorted(issuers)),
        bypass_domains,
        frozenset(ca.sha1.upper() for ca in catalogue.authorities if ca.role == "root"),
        load_signatures(),
        expiry_warning_days,
    )


def evaluate(target: Target, observation: Observation | None, ctx: RuleContext) -> TargetResult:
    """Judge one target; a skipped target (no observation) keeps its skip reason."""
    if observation is None:
        return TargetResult(target, Status.SKIP, (), None)
    if target.canary:
        findings = tuple(canary_rules(target, observation, ctx))
    else:
        findings = tuple(f for rule in RULES for f in rule(target, observation, ctx))
    if Deployment.REVOCATION in target.deployments and target.port == 80:
        findings = tuple(as_revocation(f, target) for f in findings)
    if target.doubtful:
        findings = tuple(_doubted(f, target.doubtful) for f in findings)
    return TargetResult(target, status_of(findings), findings, observation)


def judge_run(
    results: tuple[TargetResult, ...], ctx: RuleContext
) -> tuple[tuple[TargetResult, ...], tuple[Finding, ...]]:
    """The run's own findings, its cause first, and the targets with the findings that cause
    accounts for marked `explained_by`."""
    cause = root_cause(results)
    if cause is None:
        return results, tuple(run_rules(results, ctx))
    return explained(results, cause), (cause.finding, *run_rules(results, ctx))


def _doubted(found: Finding, doubt: str) -> Finding:
    """A record Microsoft may have published by mistake must not fail the run on its own."""
    if found.severity is not Severity.FAIL:
        return found
    return replace(
        found, severity=Severity.WARN, message=f"{found.message} [doubtful record: {doubt}]"
    )
