"""Allow-list renderers: one module per family, all pure (rule set in, text out)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from netcheck.report.registry import Renderers

if TYPE_CHECKING:
    from netcheck.allowlist.ruleset import RuleSet


class Format(str, enum.Enum):
    LIST = "list"
    CSV = "csv"
    JSON = "json"
    SQUID = "squid"
    PAC = "pac"
    NO_PROXY = "no-proxy"
    AZURE_FIREWALL = "azure-firewall"
    AZURE_FIREWALL_CLI = "azure-firewall-cli"
    NSG = "nsg"
    IPTABLES = "iptables"
    IP6TABLES = "ip6tables"
    NFTABLES = "nftables"
    WINDOWS_FIREWALL = "windows-firewall"
    TLS_BYPASS = "tls-bypass"


RENDERERS: Renderers[Format, RuleSet] = Renderers(
    {
        Format.LIST: "netcheck.allowlist.lists:render_list",
        Format.CSV: "netcheck.allowlist.lists:render_csv",
        Format.JSON: "netcheck.allowlist.lists:render_json",
        Format.SQUID: "netcheck.allowlist.proxy_configs:render_squid",
        Format.PAC: "netcheck.allowlist.proxy_configs:render_pac",
        Format.NO_PROXY: "netcheck.allowlist.proxy_configs:render_no_proxy",
        Format.AZURE_FIREWALL: "netcheck.allowlist.azure:render_firewall_template",
        Format.AZURE_FIREWALL_CLI: "netcheck.allowlist.azure:render_firewall_cli",
        Format.NSG: "netcheck.allowlist.azure:render_nsg",
        Format.IPTABLES: "netcheck.allowlist.hostfw:render_iptables",
        Format.IP6TABLES: "netcheck.allowlist.hostfw:render_ip6tables",
        Format.NFTABLES: "netcheck.allowlist.hostfw:render_nftables",
        Format.WINDOWS_FIREWALL: "netcheck.allowlist.hostfw:render_windows_firewall",
        Format.TLS_BYPASS: "netcheck.allowlist.lists:render_tls_bypass",
    }
)


# Formats that match addresses, not names: they need --service-tags or --resolve.
NEEDS_ADDRESSES = frozenset(
    {Format.IPTABLES, Format.IP6TABLES, Format.NFTABLES, Format.WINDOWS_FIREWALL}
)
# Formats that can carry addresses: those above, and json, which lists them per entry.
TAKES_ADDRESSES = NEEDS_ADDRESSES | {Format.JSON}
# Formats with no room for a comment: their header goes to stderr instead.
HEADERLESS = frozenset({Format.CSV, Format.NO_PROXY})
