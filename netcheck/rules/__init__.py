"""The rule engine: pure functions from what a probe saw to findings with stable codes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from netcheck.interceptors import load_products
from netcheck.models import (
    Catalogue,
    Finding,
    Observation,
    Severity,
    Status,
    Target,
    TargetResult,
    status_of,
)
from netcheck.rules.base import RuleContext
from netcheck.rules.http import http_rules
from netcheck.rules.network import connection_rules, dns_rules
from netcheck.rules.tls import tls_rules

Rule = Callable[[Target, Observation, RuleContext], list[Finding]]

# In the order the steps happen, so a report reads from the first problem on the path.
RULES: tuple[Rule, ...] = (dns_rules, connection_rules, tls_rules, http_rules)


def context_for(catalogue: Catalogue) -> RuleContext:
    return RuleContext(
        catalogue.microsoft_names(), catalogue.microsoft_thumbprints(), load_products()
    )


def evaluate(target: Target, observation: Observation | None, ctx: RuleContext) -> TargetResult:
    """Judge one target; a skipped target (no observation) keeps its skip reason."""
    if observation is None:
        return TargetResult(target, Status.SKIP, (), None)
    findings = tuple(f for rule in RULES for f in rule(target, observation, ctx))
    if target.doubtful:
        findings = tuple(_doubted(f, target.doubtful) for f in findings)
    return TargetResult(target, status_of(findings), findings, observation)


def _doubted(found: Finding, doubt: str) -> Finding:
    """A record Microsoft may have published by mistake must not fail the run on its own."""
    if found.severity is not Severity.FAIL:
        return found
    return replace(
        found, severity=Severity.WARN, message=f"{found.message} [doubtful record: {doubt}]"
    )
