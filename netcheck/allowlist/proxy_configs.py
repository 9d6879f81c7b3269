"""Proxy configurations: squid ACLs, a proxy auto-config file and a NO_PROXY value (pure)."""

from __future__ import annotations

import json
import re

from netcheck.allowlist.ruleset import (
    Entry,
    RuleSet,
    by_port,
    commented,
    header_lines,
    minimal,
    port_title,
)
from netcheck.errors import UsageError

_HOST = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])$")
_ACL = "netcheck_hrw"


def parse_pac_proxy(value: str) -> str:
    """--pac-proxy HOST:PORT, checked, as the PAC's PROXY directive will name it."""
    host, _, port = value.strip().rpartition(":")
    if not _HOST.match(host) or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(
            f"--pac-proxy {value!r}: expected HOST:PORT, e.g. proxy.corp.example:3128 "
            "(leave it out to send the destinations DIRECT)"
        )
    return f"{host}:{int(port)}"


def _suffix_pattern(entry: Entry) -> str:
    """The leading-dot form that squid, NO_PROXY and dnsDomainIs read as "this and below"."""
    return "." + entry.domain if entry.wildcard else entry.host


def render_squid(ruleset: RuleSet) -> str:
    """`acl ... dstdomain` and `http_access allow` lines to put before `http_access deny all`."""
    notes = [
        "Put these lines before your final 'http_access deny all'. HTTPS goes through CONNECT "
        "to port 443; the port-80 hosts are plain-HTTP requests. A host below a wildcard is "
        "left out: its leading-dot domain already allows it (squid rejects such overlaps).",
    ]
    out = (
        commented(header_lines(ruleset, notes=notes), "# ") + f"acl {_ACL}_connect method CONNECT\n"
    )
    for port, entries in by_port(minimal(ruleset.entries)).items():
        name = f"{_ACL}_{port}"
        out += f"\n# {port_title(port, entries)}\nacl {name}_port port {port}\n"
        for entry in entries:
            purpose = " ".join(entry.target.purpose.split())  # a comment must stay one line
            out += f"# {purpose}\nacl {name} dstdomain {_suffix_pattern(entry)}\n"
        method = f"{_ACL}_connect" if port == 443 else f"!{_ACL}_connect"
        out += f"http_access allow {method} {name}_port {name}\n"
    return out


def render_pac(ruleset: RuleSet) -> str:
    """A proxy auto-config that routes exactly these destinations by --pac-proxy or DIRECT."""
    route = f"PROXY {ruleset.pac_proxy}" if ruleset.pac_proxy else "DIRECT"
    if ruleset.pac_proxy:
        usage = (
            f"These destinations go through {ruleset.pac_proxy}; every other destination goes "
            "DIRECT."
        )
    else:
        usage = (
            "These destinations go DIRECT. As generated, so does everything else: copy "
            "netcheckHybridWorker() into your own PAC and return DIRECT for it before the line "
            "that returns your proxy."
        )
    entries = minimal(ruleset.entries)
    hosts = sorted({e.host for e in entries if not e.wildcard})
    domains = sorted({_suffix_pattern(e) for e in entries if e.wildcard})
    return (
        commented(header_lines(ruleset, notes=[usage]), "// ")
        + "function netcheckHybridWorker(host) {\n"
        + "  var name = host.toLowerCase();\n"
        + _js_array("hosts", hosts)
        + _js_array("domains", domains)
        + "  for (var i = 0; i < hosts.length; i++) {\n"
        + "    if (name === hosts[i]) return true;\n"
        + "  }\n"
        + "  for (var j = 0; j < domains.length; j++) {\n"
        + "    if (dnsDomainIs(name, domains[j])) return true;\n"
        + "  }\n"
        + "  return false;\n"
        + "}\n\n"
        + "function FindProxyForURL(url, host) {\n"
        + f"  if (netcheckHybridWorker(host)) return {json.dumps(route)};\n"
        + '  return "DIRECT";\n'
        + "}\n"
    )


def _js_array(name: str, values: list[str]) -> str:
    if not values:
        return f"  var {name} = [];\n"
    # no trailing comma: old JScript PAC engines count it as one more (undefined) element
    items = ",\n".join(f"    {json.dumps(v)}" for v in values)
    return f"  var {name} = [\n{items}\n  ];\n"


def render_no_proxy(ruleset: RuleSet) -> str:
    """One NO_PROXY value: comma-separated, wildcards as leading-dot domains (no header)."""
    patterns = dict.fromkeys(_suffix_pattern(e) for e in minimal(ruleset.entries))
    return ",".join(patterns) + "\n"
