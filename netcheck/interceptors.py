"""Names TLS-inspecting products by the names in the certificates they forge (data file)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

from cryptography import x509
from cryptography.x509.oid import NameOID

from netcheck import yaml_cache
from netcheck.models import CertificateInfo

_FIELDS = (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME)


@dataclass(frozen=True)
class Product:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    exemption: str


@functools.cache
def load_products() -> tuple[Product, ...]:
    """The shipped signatures. The file is ours, so a broken one is a bug, not bad input.

    Read once per process: the exporter judges a report on every scrape."""
    text = (resources.files("netcheck.data") / "interceptors.yaml").read_text(encoding="utf-8")
    raw = yaml_cache.load(text)
    return tuple(
        Product(
            p["name"], tuple(re.compile(r, re.IGNORECASE) for r in p["patterns"]), p["exemption"]
        )
        for p in raw["products"]
    )


def name_values(info: CertificateInfo) -> list[str]:
    """CN, O and OU values of the subject and issuer of one certificate."""
    values: list[str] = []
    for text in (info.subject, info.issuer):
        name = x509.Name.from_rfc4514_string(text)
        values.extend(str(a.value) for oid in _FIELDS for a in name.get_attributes_for_oid(oid))
    return values


def identify(chain: tuple[CertificateInfo, ...], products: tuple[Product, ...]) -> Product | None:
    """The first product whose pattern matches a name anywhere in the presented chain."""
    values = [v for info in chain for v in name_values(info)]
    for product in products:
        if any(p.search(v) for p in product.patterns for v in values):
            return product
    return None
