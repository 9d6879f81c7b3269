"""What every rule shares: the context it judges in and the way it builds a finding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netcheck import DEFAULT_EXPIRY_WARNING_DAYS
from netcheck.blockpages import Signatures
from netcheck.findings.codes import Code
from netcheck.interceptors import Product
from netcheck.models import Finding


@dataclass(frozen=True)
class RuleContext:
    """Facts the rules need besides the observation: Microsoft's CAs, product names and
    block-page signatures, and the settings that shape judgement."""

    microsoft_names: frozenset[str]  # case-folded CA common names
    microsoft_thumbprints: frozenset[str]  # upper-case SHA-1
    products: tuple[Product, ...]
    microsoft_issuers: tuple[str, ...] = ()  # current issuing CAs, shown beside a forgery
    bypass_domains: tuple[str, ...] = ()  # what to exempt from inspection for this setup
    microsoft_roots: frozenset[str] = frozenset()  # upper-case SHA-1 of the listed roots
    block_pages: Signatures | None = None
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS


def finding(code: Code, message: str, remediation: str | None = None, **evidence: Any) -> Finding:
    """A finding with the code's registered severity and, unless given, its standard fix."""
    return Finding(code.code, code.severity, message, remediation or code.fix, evidence)
