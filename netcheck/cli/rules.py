"""`netcheck rules`: the allow list of the targets `check` probes, in a network device's format."""

from __future__ import annotations

from pathlib import Path

import click

from netcheck import __version__
from netcheck.cli.base import (
    OUTPUT_EXIT_HELP,
    SelectionArgs,
    emit,
    format_option,
    select,
    selection_options,
)
from netcheck.errors import UsageError
from netcheck.formats import RULES_RENDERERS, RulesFormat

_EPILOG = (
    """\b
Examples:
  # the destinations for both worker types in West Europe, one per line
  netcheck rules --region westeurope --format list
  # squid ACLs for an agent-based worker with Update Management
  netcheck rules -r we --workspace-id <GUID> --update-management --format squid -o hrw.squid
  # iptables rules from Microsoft's weekly service tag file
  netcheck rules -r we --format iptables --service-tags ServiceTags_Public_20250106.json
  # what to exempt from TLS inspection, in the terms of common products
  netcheck rules -r eastus2 --automation-account-id <GUID> --format tls-bypass

\b
Every format is described in docs/rules.md.
"""
    + OUTPUT_EXIT_HELP
)


@click.command(epilog=_EPILOG)
@selection_options
@format_option(
    RULES_RENDERERS,
    RulesFormat.LIST,
    "Rule format: a list, a proxy or firewall configuration (see docs/rules.md).",
)
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="Write the rules to FILE instead of stdout.",
)
@click.option(
    "--pac-proxy",
    metavar="HOST:PORT",
    help="With --format pac: send the destinations through this proxy (default: DIRECT).",
)
@click.option(
    "--service-tags",
    multiple=True,
    metavar="FILE",
    help="Microsoft's ServiceTags_*.json (or the legacy datacenter IP XML), for the "
    "address-based formats; repeatable.",
)
@click.option(
    "--resolve",
    is_flag=True,
    help="Add today's DNS answers of the concrete hosts, for the address-based formats "
    "(they change without notice).",
)
@click.option(
    "--include-revocation",
    is_flag=True,
    help="Include the plain-HTTP (port 80) certificate download and revocation hosts.",
)
def rules(
    selection: SelectionArgs,
    fmt: str,
    output: str | None,
    pac_proxy: str | None,
    service_tags: tuple[str, ...],
    resolve: bool,
    include_revocation: bool,
) -> None:
    """Write the allow list of the same targets `check` probes, in a network device's format.

    Wildcards stay wildcards where the format can say so; what a format cannot express
    (a wildcard in an IP rule, a host without a service tag in an NSG) is listed in its
    header. Output is sorted and stable, so it diffs cleanly in a change request.
    """
    from netcheck.allowlist import HEADERLESS, NEEDS_ADDRESSES, TAKES_ADDRESSES
    from netcheck.allowlist.attach_addresses import attach
    from netcheck.allowlist.proxy_configs import parse_pac_proxy
    from netcheck.allowlist.ruleset import build, commented, header_lines
    from netcheck.allowlist.servicetags import parse
    from netcheck.expand import expand
    from netcheck.probes.resolve import resolve_hosts

    rules_format = RulesFormat(fmt)
    if pac_proxy is not None and rules_format is not RulesFormat.PAC:
        raise UsageError(f"--pac-proxy applies only to --format pac, not --format {fmt}")
    addressed = bool(service_tags) or resolve
    if rules_format in NEEDS_ADDRESSES and not addressed:
        raise UsageError(
            f"--format {fmt} matches addresses, not names: give --service-tags FILE "
            "(Microsoft's weekly ServiceTags_*.json) and/or --resolve"
        )
    if addressed and rules_format not in TAKES_ADDRESSES:
        formats = ", ".join(sorted(f.value for f in TAKES_ADDRESSES))
        raise UsageError(f"--service-tags and --resolve apply only to --format {formats}")
    proxy_address = parse_pac_proxy(pac_proxy) if pac_proxy is not None else None
    loaded, chosen = select(selection, include_revocation)
    tag_files = [parse(Path(p).name, _read_text(p, "--service-tags")) for p in service_tags]
    ruleset = build(
        loaded,
        chosen,
        expand(loaded, chosen),
        __version__,
        fmt,
        proxy_address,
        [f.name for f in tag_files],
        resolve,
    )
    if addressed:
        hosts = [e.host for e in ruleset.entries if not e.wildcard]
        ruleset = attach(
            ruleset, tag_files, resolve_hosts(hosts) if resolve else None, chosen.region.name
        )
    if rules_format in HEADERLESS:
        click.echo(commented(header_lines(ruleset), "# "), err=True, nl=False)
    emit(RULES_RENDERERS.render(ruleset, rules_format), output)


def _read_text(path: str, option: str) -> str:
    try:
        # utf-8-sig: Microsoft's downloads start with a byte-order mark
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {option} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read {option} {path}: not UTF-8 text") from None
