"""Every output format of every command, and where its renderer lives.

The command line takes its --format choices from here at start-up; a renderer's module is
imported only when its format is used (report/registry.py). Each command's renderers are
pure functions of its result: see the modules named.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from netcheck.report.registry import Renderers

if TYPE_CHECKING:
    from netcheck.allowlist.ruleset import RuleSet
    from netcheck.diagnose.diagnosis import Diagnosis
    from netcheck.fleet.model import Diff, Fleet
    from netcheck.models import Report


# `check` (and `diagnose`, which renders a subset of them)
class Format(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"
    PROMETHEUS = "prometheus"


class ListingFormat(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


# `rules`
class RulesFormat(str, enum.Enum):
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


# `report merge` and `report diff`
class MergeFormat(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"
    HTML = "html"
    SUMMARY = "summary"


class DiffFormat(str, enum.Enum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


REPORT_RENDERERS: Renderers[Format, Report] = Renderers(
    {
        Format.TABLE: "netcheck.report.table:render",
        Format.JSON: "netcheck.report.json_format:render",
        Format.JUNIT: "netcheck.report.junit:render",
        Format.MARKDOWN: "netcheck.report.markdown:render",
        Format.HTML: "netcheck.report.html:render",
        Format.PROMETHEUS: "netcheck.report.prometheus:render",
    }
)


DIAGNOSE_RENDERERS: Renderers[Format, Diagnosis] = Renderers(
    {
        Format.TABLE: "netcheck.diagnose.render.table:render",
        Format.JSON: "netcheck.diagnose.render.json_format:render",
        Format.JUNIT: "netcheck.diagnose.render.junit:render",
        Format.MARKDOWN: "netcheck.diagnose.render.markdown:render",
    }
)


RULES_RENDERERS: Renderers[RulesFormat, RuleSet] = Renderers(
    {
        RulesFormat.LIST: "netcheck.allowlist.lists:render_list",
        RulesFormat.CSV: "netcheck.allowlist.lists:render_csv",
        RulesFormat.JSON: "netcheck.allowlist.lists:render_json",
        RulesFormat.SQUID: "netcheck.allowlist.proxy_configs:render_squid",
        RulesFormat.PAC: "netcheck.allowlist.proxy_configs:render_pac",
        RulesFormat.NO_PROXY: "netcheck.allowlist.proxy_configs:render_no_proxy",
        RulesFormat.AZURE_FIREWALL: "netcheck.allowlist.azure:render_firewall_template",
        RulesFormat.AZURE_FIREWALL_CLI: "netcheck.allowlist.azure:render_firewall_cli",
        RulesFormat.NSG: "netcheck.allowlist.azure:render_nsg",
        RulesFormat.IPTABLES: "netcheck.allowlist.hostfw:render_iptables",
        RulesFormat.IP6TABLES: "netcheck.allowlist.hostfw:render_ip6tables",
        RulesFormat.NFTABLES: "netcheck.allowlist.hostfw:render_nftables",
        RulesFormat.WINDOWS_FIREWALL: "netcheck.allowlist.hostfw:render_windows_firewall",
        RulesFormat.TLS_BYPASS: "netcheck.allowlist.lists:render_tls_bypass",
    }
)


MERGE_RENDERERS: Renderers[MergeFormat, Fleet] = Renderers(
    {
        MergeFormat.TABLE: "netcheck.fleet.render.table:render_fleet",
        MergeFormat.JSON: "netcheck.fleet.render.json_format:render_fleet",
        MergeFormat.MARKDOWN: "netcheck.fleet.render.markdown:render_fleet",
        MergeFormat.JUNIT: "netcheck.fleet.render.junit:render_fleet",
        MergeFormat.HTML: "netcheck.fleet.render.html:render_fleet",
        MergeFormat.SUMMARY: "netcheck.fleet.render.summary:render_fleet",
    }
)

DIFF_RENDERERS: Renderers[DiffFormat, Diff] = Renderers(
    {
        DiffFormat.TABLE: "netcheck.fleet.render.table:render_diff",
        DiffFormat.JSON: "netcheck.fleet.render.json_format:render_diff",
        DiffFormat.MARKDOWN: "netcheck.fleet.render.markdown:render_diff",
    }
)
