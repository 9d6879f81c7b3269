"""Names the proxy or filter behind a refusal page, and the URL category it shows (data file)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from netcheck import yaml_cache

_TAG = re.compile(r"<[^>]*>")
_LONGEST_CATEGORY = 60


@dataclass(frozen=True)
class Vendor:
    name: str
    headers: tuple[tuple[str, re.Pattern[str]], ...]
    page: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Signatures:
    vendors: tuple[Vendor, ...]
    categories: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class BlockPage:
    vendor: str | None
    category: str | None


def load_signatures() -> Signatures:
    """The shipped signatures. The file is ours, so a broken one is a bug, not bad input."""
    text = (resources.files("netcheck.data") / "blockpages.yaml").read_text(encoding="utf-8")
    raw = yaml_cache.load(text)  # the rules load while probes wait: no YAML parser to import

    def compiled(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern, re.IGNORECASE)

    return Signatures(
        tuple(
            Vendor(
                v["name"],
                tuple((h, compiled(p)) for h, p in v.get("headers", {}).items()),
                tuple(compiled(p) for p in v.get("page", [])),
            )
            for v in raw["vendors"]
        ),
        tuple(compiled(p) for p in raw["categories"]),
    )


def recognise(
    headers: Mapping[str, str], page: str | None, signatures: Signatures
) -> BlockPage | None:
    """The vendor and category a refusal shows, or None when it shows neither."""
    body = page or ""
    vendor = next(
        (
            v.name
            for v in signatures.vendors
            if any(p.search(headers.get(h, "")) for h, p in v.headers if h in headers)
            or any(p.search(body) for p in v.page)
        ),
        None,
    )
    category = _category(body, signatures)
    if vendor is None and category is None:
        return None
    return BlockPage(vendor, category)


def _category(page: str, signatures: Signatures) -> str | None:
    text = " ".join(_TAG.sub(" ", page).split())
    for pattern in signatures.categories:
        found = pattern.search(text)
        if found:
            value = found.group(1).strip(" \"'.,:")
            if value and len(value) <= _LONGEST_CATEGORY:
                return value
    return None


def uncategorised(category: str | None) -> bool:
    """A category that means the filter does not know the site: the classic false block."""
    if category is None:
        return False
    return bool(
        re.search(r"uncategori[sz]ed|unknown|unrated|not rated|miscellaneous", category, re.I)
    )
