"""Plain lists of the destinations: list, csv, json and the TLS-inspection bypass list (pure)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from netcheck.allowlist.ruleset import (
    Entry,
    RuleSet,
    by_port,
    commented,
    header_lines,
    minimal,
    not_covered,
    port_title,
)
from netcheck.interceptors import load_products

SCHEMA = "netcheck.rules/1"
CSV_COLUMNS = (
    "host",
    "port",
    "wildcard",
    "under",
    "purpose",
    "deployments",
    "bypass_inspection",
    "service_tags",
    "endpoints",
    "doubtful",
    "source",
    "addresses",
)


def render_list(ruleset: RuleSet) -> str:
    """One FQDN or `*.` wildcard per line, in one labelled section per port."""
    out = commented(header_lines(ruleset), "# ")
    for port, entries in by_port(ruleset.entries).items():
        out += f"\n# {port_title(port, entries)}\n"
        out += "".join(f"{e.host}\n" for e in entries)
    return out


def entry_dict(entry: Entry) -> dict[str, Any]:
    t = entry.target
    return {
        "host": t.host,
        "port": t.port,
        "wildcard": entry.wildcard,
        "under": entry.under,
        "purpose": t.purpose,
        "deployments": sorted(d.value for d in t.deployments),
        "bypass_inspection": t.bypass_inspection,
        "service_tags": list(t.service_tags),
        "endpoints": list(t.endpoint_ids),
        "doubtful": t.doubtful,
        "source": t.source,
        "addresses": [str(a) for a in entry.addresses],
    }


def render_json(ruleset: RuleSet) -> str:
    """The documented structure of docs/rules.md: header facts, then one object per entry."""
    document = {
        "schema": SCHEMA,
        "tool": {"name": "netcheck", "version": ruleset.tool_version},
        "catalogue": {"path": ruleset.catalogue_path, "date": ruleset.catalogue_date},
        "options": dict(ruleset.options),
        "address_notes": list(ruleset.address_notes),
        "not_covered": not_covered(ruleset, [u.line() for u in ruleset.unaddressed]),
        "entries": [entry_dict(e) for e in ruleset.entries],
    }
    return json.dumps(document, indent=2) + "\n"


def render_csv(ruleset: RuleSet) -> str:
    """The json entries as rows; lists joined by spaces. CSV has no comments: no header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in ruleset.entries:
        row = entry_dict(entry)
        writer.writerow(_cell(row[c]) for c in CSV_COLUMNS)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def render_tls_bypass(ruleset: RuleSet) -> str:
    """The destinations Microsoft says to exempt from TLS inspection, and each product's term."""
    exempt = minimal(e for e in ruleset.entries if e.target.bypass_inspection)
    notes = [
        'Exclude these destinations from TLS inspection: Microsoft marks them "bypass HTTPS '
        "inspection\". An inspecting device breaks the worker's certificate checks. In the "
        "terms of common products:",
        *(f"  {p.name}: {p.exemption}" for p in load_products()),
    ]
    if not exempt:
        notes.append("No destination of this selection is marked for bypass.")
    out = commented(header_lines(ruleset, notes=notes), "# ")
    return out + "".join(f"{host}\n" for host in dict.fromkeys(e.host for e in exempt))
