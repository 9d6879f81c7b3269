"""Allow-list renderers: one module per family, all pure (rule set in, text out)."""

from __future__ import annotations

from netcheck.formats import RulesFormat

# Formats that match addresses, not names: they need --service-tags or --resolve.
NEEDS_ADDRESSES = frozenset(
    {
        RulesFormat.IPTABLES,
        RulesFormat.IP6TABLES,
        RulesFormat.NFTABLES,
        RulesFormat.WINDOWS_FIREWALL,
    }
)
# Formats that can carry addresses: those above, and json, which lists them per entry.
TAKES_ADDRESSES = NEEDS_ADDRESSES | {RulesFormat.JSON}
# Formats with no room for a comment: their header goes to stderr instead.
HEADERLESS = frozenset({RulesFormat.CSV, RulesFormat.NO_PROXY})
