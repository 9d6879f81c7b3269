"""The allow list as data: which targets become rules, what is left out, and why (pure)."""

from __future__ import annotations

import ipaddress
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netcheck.expand import Selection
from netcheck.models import Catalogue, Deployment, Target

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_WIDTH = 96  # header lines, before the comment marker: short enough for a change request


@dataclass(frozen=True)
class Entry:
    """One destination to allow: a concrete host or a `*.` wildcard, on one port."""

    target: Target
    under: str | None = None  # the wildcard of the same port whose rule already allows this one
    addresses: tuple[IPNetwork, ...] = ()  # only when --service-tags or --resolve gave some

    @property
    def host(self) -> str:
        return self.target.host

    @property
    def port(self) -> int:
        return self.target.port

    @property
    def wildcard(self) -> bool:
        return self.target.host.startswith("*.")

    @property
    def domain(self) -> str:
        """The name without its `*.`: what suffix-matching devices are given."""
        return self.target.host[2:] if self.wildcard else self.target.host

    @property
    def revocation(self) -> bool:
        return Deployment.REVOCATION in self.target.deployments


@dataclass(frozen=True)
class LeftOut:
    """A destination the rules do not allow, and why (one line for the header)."""

    host: str
    port: int
    reason: str

    def line(self) -> str:
        return f"{self.host}:{self.port}: {self.reason}"


@dataclass(frozen=True)
class RuleSet:
    """Everything a renderer needs; renderers add nothing but syntax."""

    tool_version: str
    catalogue_path: str
    catalogue_date: str
    options: tuple[tuple[str, str], ...]  # (name, value) in the order the header shows them
    entries: tuple[Entry, ...]
    left_out: tuple[LeftOut, ...]
    revocation: bool  # whether the port-80 revocation hosts were asked for
    pac_proxy: str | None = None  # HOST:PORT; None sends the destinations DIRECT
    address_notes: tuple[str, ...] = ()  # where the addresses come from, and how long they hold
    unaddressed: tuple[LeftOut, ...] = ()  # entries that address-based rules cannot express


# What no format of this tool covers; the header says so, because a reviewer would ask.
OUT_OF_SCOPE = (
    "Only outbound TCP from the worker to the destinations below is covered. Not covered: DNS "
    "to your resolvers, time sync, operating-system and package updates (Windows Update, WSUS, "
    "Linux repositories), and anything the endpoint catalogue does not list.",
    "No inbound rule is needed: the worker only opens connections.",
)


def build(
    catalogue: Catalogue,
    selection: Selection,
    targets: Sequence[Target],
    tool_version: str,
    fmt: str,
    pac_proxy: str | None = None,
    service_tags: Sequence[str] = (),
    resolve: bool = False,
) -> RuleSet:
    """The rule set of an expanded selection: entries in `targets` order, left-outs with reasons.

    `fmt`, `service_tags` (file names) and `resolve` only feed the header's list of options.
    """
    ruled = [t for t in targets if _is_rule(t)]
    wildcards = [t for t in ruled if t.host.startswith("*.")]
    return RuleSet(
        tool_version=tool_version,
        catalogue_path=catalogue.path,
        catalogue_date=catalogue.date,
        options=_options(selection, fmt, pac_proxy, service_tags, resolve),
        entries=tuple(Entry(t, _covering(t, wildcards)) for t in ruled),
        left_out=tuple(_left_out(t, wildcards) for t in targets if not _is_rule(t)),
        revocation=Deployment.REVOCATION in selection.deployments,
        pac_proxy=pac_proxy,
    )


def _options(
    selection: Selection,
    fmt: str,
    pac_proxy: str | None,
    service_tags: Sequence[str],
    resolve: bool,
) -> tuple[tuple[str, str], ...]:
    region = selection.region
    shown = [
        ("--region", f"{region.name} ({region.display_name}, cloud {region.cloud})"),
        ("--workspace-id", selection.workspace_id or "not given"),
        ("--automation-account-id", selection.account_id or "not given"),
        ("deployments", ", ".join(sorted(d.value for d in selection.deployments))),
        ("--format", fmt),
    ]
    if fmt == "pac":
        shown.append(("--pac-proxy", pac_proxy or "not given (DIRECT)"))
    if service_tags:
        shown.append(("--service-tags", ", ".join(service_tags)))
    if resolve:
        shown.append(("--resolve", "yes"))
    return tuple(shown)


def _is_rule(target: Target) -> bool:
    # `check` skips a wildcard it cannot probe, yet a wildcard is exactly the rule a network
    # team wants. Any other skipped target still holds a <placeholder>: it is not a name.
    if target.skip_reason is None:
        return True
    return target.host.startswith("*.") and "<" not in target.host


def _falls_under(host: str, domain: str) -> bool:
    """Whether `host` is a name strictly below `domain` (what `*.domain` allows)."""
    return host.endswith("." + domain)


def _covering(target: Target, wildcards: Sequence[Target]) -> str | None:
    """The broadest wildcard of the same port that already allows `target`."""
    covering = [
        w.host
        for w in wildcards
        if w.port == target.port and w.host != target.host and _falls_under(target.host, w.host[2:])
    ]
    return min(covering, key=len) if covering else None


def _left_out(target: Target, wildcards: Sequence[Target]) -> LeftOut:
    reason = target.skip_reason or ""
    wildcard = _covering(target, wildcards)
    if wildcard is not None:
        reason += f"; allowed anyway by {wildcard}"
    return LeftOut(target.host, target.port, reason)


def header_lines(
    ruleset: RuleSet, caveats: Iterable[str] = (), notes: Iterable[str] = ()
) -> list[str]:
    """The header every format starts with where it allows comments, wrapped, as plain lines.

    `notes` are the format's own remarks; `caveats` what it cannot express.
    """
    lines = [
        f"Generated by netcheck {ruleset.tool_version} `netcheck rules`: the destinations an "
        "Azure Automation Hybrid Runbook Worker needs.",
        f"Catalogue: {ruleset.catalogue_path}, dated {ruleset.catalogue_date}.",
        "Options:",
        *(f"  {name} {value}" for name, value in ruleset.options),
        *ruleset.address_notes,
        *notes,
        *OUT_OF_SCOPE,
    ]
    doubtful = sorted(
        {f"{e.host}: {e.target.doubtful}" for e in ruleset.entries if e.target.doubtful}
    )
    if doubtful:
        lines.append("Doubtful entries (published, but possibly wrong):")
        lines.extend(f"  {d}" for d in doubtful)
    missing = not_covered(ruleset, caveats)
    if missing:
        lines.append("Not covered by these rules:")
        lines.extend(f"  {m}" for m in missing)
    return [part for line in lines for part in _wrap(line)]


def _wrap(line: str) -> list[str]:
    if not line:
        return [""]
    indent = line[: len(line) - len(line.lstrip())]
    return textwrap.wrap(
        line,
        width=_WIDTH,
        subsequent_indent=indent + "  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def not_covered(ruleset: RuleSet, caveats: Iterable[str] = ()) -> list[str]:
    """What the rules leave out: unnamed targets, revocation hosts, the format's own limits."""
    lines = [x.line() for x in ruleset.left_out]
    if not ruleset.revocation:
        lines.append(
            "certificate download and revocation hosts (plain HTTP, TCP 80): add "
            "--include-revocation to allow them"
        )
    lines.extend(caveats)
    return lines


def commented(lines: Iterable[str], marker: str) -> str:
    """Lines as comments of a format, e.g. marker "# " or "// "."""
    return "".join(f"{marker}{line}".rstrip() + "\n" for line in lines)


def minimal(entries: Iterable[Entry]) -> list[Entry]:
    """What a suffix-matching device needs: entries no wildcard among `entries` already allows."""
    chosen = list(entries)
    present = {(e.host, e.port) for e in chosen}
    return [e for e in chosen if e.under is None or (e.under, e.port) not in present]


def by_port(entries: Iterable[Entry]) -> dict[int, list[Entry]]:
    """Entries grouped by port, HTTPS first, then ascending; each group in rule-set order."""
    groups: dict[int, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.port, []).append(entry)
    return dict(sorted(groups.items(), key=lambda item: (item[0] != 443, item[0])))


def port_title(port: int, entries: Iterable[Entry]) -> str:
    """How a section of one port is labelled; port-80 revocation hosts say what they are."""
    if port == 443:
        return "HTTPS, TCP 443"
    title = f"plain HTTP, TCP {port}"
    if any(e.revocation for e in entries):
        title += ": certificate downloads and revocation checks (--include-revocation)"
    return title
