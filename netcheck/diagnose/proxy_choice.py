"""The proxy as the worker sees it: every place one can be set, and which of them wins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from netcheck.errors import UsageError
from netcheck.findings import codes
from netcheck.findings.base import finding
from netcheck.models import Finding, ProxySettings
from netcheck.proxy_url import parse_proxy, redact

# The variables a worker started from this environment would honour for HTTPS, in the order
# curl and Python read them.
_ENV_PROXY = ("https_proxy", "HTTPS_PROXY")
_ENV_NO_PROXY = ("no_proxy", "NO_PROXY")


@dataclass(frozen=True)
class ProxyCandidate:
    """One proxy setting found on the host. `shown` is redacted; `settings` keeps the password
    for probing only and is never rendered."""

    source: str  # what kind of setting: "omsagent proxy.conf", "environment", ...
    location: str  # where: a host path, a variable, a command
    shown: str
    settings: ProxySettings | None  # None when the value cannot be used
    problem: str | None = None


@dataclass(frozen=True)
class ProxyChoice:
    used: ProxyCandidate | None
    why: str
    candidates: tuple[ProxyCandidate, ...]  # every setting found, the winner first
    no_proxy: str | None = None


def candidate(value: str, source: str, location: str) -> ProxyCandidate:
    """A setting as written ("[protocol://][user:password@]host[:port]"), judged usable or not."""
    text = value.strip()
    shown = redact(text)
    if urlsplit(text if "://" in text else "http://" + text).scheme.lower() == "https":
        return ProxyCandidate(
            source,
            location,
            shown,
            None,
            "an https:// proxy: netcheck can only tunnel through http:// proxies",
        )
    try:
        return ProxyCandidate(source, location, shown, parse_proxy(text))
    except UsageError as exc:
        # parse_proxy words its errors for --proxy ("--proxy URL: problem"); keep the problem.
        return ProxyCandidate(source, location, shown, None, str(exc).partition(": ")[2])


def given(url: str) -> ProxyCandidate:
    """--proxy: bad input is a usage error, as for check."""
    settings = parse_proxy(url)
    return ProxyCandidate("--proxy", "the command line", settings.redacted_url, settings)


def from_environment(environment: Mapping[str, str]) -> tuple[list[ProxyCandidate], str | None]:
    found = [
        candidate(environment[name], "environment", name)
        for name in _ENV_PROXY
        if environment.get(name, "").strip()
    ]
    no_proxy = next((environment[n] for n in _ENV_NO_PROXY if environment.get(n, "").strip()), None)
    return found[:1], no_proxy


def choose(
    override: ProxyCandidate | None,
    configured: Sequence[ProxyCandidate],
    environment: Mapping[str, str],
    winhttp: ProxyCandidate | None,
) -> ProxyChoice:
    """Precedence: --proxy; the worker's own setting (its file or extension setting, as the
    agent reads it); the environment; WinHTTP. The first one found wins, even when netcheck
    cannot use it: the worker would still use it, so going elsewhere would prove nothing."""
    from_env, no_proxy = from_environment(environment)
    ordered = (
        *([override] if override else []),
        *configured,
        *from_env,
        *([winhttp] if winhttp else []),
    )
    if not ordered:
        why = "no proxy is set anywhere netcheck looked: the worker connects directly"
        return ProxyChoice(None, why, (), no_proxy)
    used = ordered[0]
    why = _why(used, configured)
    if used.settings is None:
        why += f"; netcheck cannot use it ({used.problem}), so the probes go directly"
    return ProxyChoice(used, why, ordered, no_proxy)


def _why(used: ProxyCandidate, configured: Sequence[ProxyCandidate]) -> str:
    if used.source == "--proxy":
        return "--proxy was given: it replaces whatever the host has configured"
    if used in configured:
        return (
            f"the worker reads its proxy from its own configuration ({used.location}); "
            "environment variables and WinHTTP do not apply to it"
        )
    if used.source == "environment":
        return (
            f"the worker has no proxy setting of its own; {used.location} is set in the "
            "environment netcheck runs in, which a worker started from it would use"
        )
    return (
        "neither the worker nor the environment names a proxy; WinHTTP's machine-wide proxy "
        "applies to services that use WinHTTP"
    )


def judge(choice: ProxyChoice) -> list[Finding]:
    used = choice.used
    if used is None or used.settings is not None:
        return []
    return [
        finding(
            codes.AGENT_PROXY_UNUSABLE,
            f"the proxy set in {used.location} ({used.shown}) cannot be used: {used.problem}",
            source=used.source,
            location=used.location,
            proxy=used.shown,
            problem=used.problem,
        )
    ]
