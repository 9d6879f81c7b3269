"""The proxy as the worker sees it: every place one can be set, and which of them wins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
    bypass: tuple[str, ...] = ()  # hosts that go directly (a WinHTTP or WinINET bypass list)
    pac: str | None = None  # the proxy is decided per host by this PAC URL ("WPAD": found)
    ignored: str | None = None  # why the worker never sees this setting, though it is set


@dataclass(frozen=True)
class PacDecision:
    """What the PAC file answers for one host, and the proxy netcheck probes it through."""

    host: str
    answer: str  # FindProxyForURL's answer, e.g. "PROXY proxy.corp:8080; DIRECT"
    settings: ProxySettings | None  # None: DIRECT, or a first entry netcheck cannot use
    problem: str | None = None


@dataclass(frozen=True)
class PacResult:
    url: str
    decisions: tuple[PacDecision, ...] = ()
    problem: str | None = None  # why the PAC file could not be read or run


@dataclass(frozen=True)
class ProxyChoice:
    used: ProxyCandidate | None
    why: str
    candidates: tuple[ProxyCandidate, ...]  # every setting found, the winner first
    no_proxy: str | None = None
    pac: PacResult | None = None  # the PAC file's answers, when the winner is a PAC file

    def routes(
        self,
    ) -> tuple[ProxySettings | None, tuple[str, ...], dict[str, ProxySettings | None]]:
        """How the probes go: (default proxy, bypass list, per-host PAC decisions)."""
        used = self.used
        if used is None:
            return None, (), {}
        per_host = {d.host: d.settings for d in self.pac.decisions} if self.pac else {}
        return used.settings, used.bypass, per_host


def candidate(
    value: str, source: str, location: str, bypass: tuple[str, ...] = ()
) -> ProxyCandidate:
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
            bypass,
        )
    try:
        return ProxyCandidate(source, location, shown, parse_proxy(text), bypass=bypass)
    except UsageError as exc:
        # parse_proxy words its errors for --proxy ("--proxy URL: problem"); keep the problem.
        return ProxyCandidate(source, location, shown, None, str(exc).partition(": ")[2], bypass)


def pac_candidate(url: str, source: str, location: str) -> ProxyCandidate:
    """A PAC file (or WPAD, url "WPAD") that decides the proxy host by host."""
    return ProxyCandidate(source, location, f"PAC {redact(url)}", None, pac=url)


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


NOT_SEEN_BY_SERVICES = (
    "set in the environment netcheck runs in; Windows services such as the worker's do not see it"
)


def choose(
    override: ProxyCandidate | None,
    configured: Sequence[ProxyCandidate],
    environment: Mapping[str, str],
    machine: Sequence[ProxyCandidate] = (),
    windows: bool = False,
) -> ProxyChoice:
    """Precedence: --proxy; the worker's own setting (its file or extension setting, as the
    agent reads it); then, on Linux, the environment and on Windows the machine's settings
    (`machine`, in the order the worker's account sees them: WinHTTP, then LocalSystem's
    WinINET). On Windows the environment is listed but never wins: services do not inherit
    this session's variables. The first one found wins, even when netcheck cannot use it: the
    worker would still use it, so going elsewhere would prove nothing."""
    from_env, no_proxy = from_environment(environment)
    if windows:
        from_env = [replace(c, ignored=NOT_SEEN_BY_SERVICES) for c in from_env]
        rest = (*machine, *from_env)
    else:
        rest = (*from_env, *machine)
    ordered = (*([override] if override else []), *configured, *rest)
    used = next((c for c in ordered if c.ignored is None), None)
    if used is None:
        why = "no proxy is set anywhere netcheck looked: the worker connects directly"
        return ProxyChoice(None, why, ordered, no_proxy)
    why = _why(used, configured)
    if used.pac is not None:
        why += "; the proxy is decided by PAC, host by host"
    elif used.settings is None:
        why += f"; netcheck cannot use it ({used.problem}), so the probes go directly"
    if used.bypass:
        why += f"; hosts on its bypass list ({'; '.join(used.bypass)}) go directly"
    ordered = (used, *(c for c in ordered if c is not used))
    return ProxyChoice(used, why, ordered, no_proxy)


def _why(used: ProxyCandidate, configured: Sequence[ProxyCandidate]) -> str:
    if used.source == "--proxy":
        return "--proxy was given: it replaces whatever the host has configured"
    if used in configured:
        return (
            f"the worker reads its proxy from its own configuration ({used.location}); "
            "environment variables and the machine's proxy settings do not apply to it"
        )
    if used.source == "environment":
        return (
            f"the worker has no proxy setting of its own; {used.location} is set in the "
            "environment netcheck runs in, which a worker started from it would use"
        )
    return (
        f"the worker has no proxy setting of its own; {used.source} applies to it ({used.location})"
    )


def judge(choice: ProxyChoice) -> list[Finding]:
    used = choice.used
    if used is not None and used.pac is not None:
        return _judge_pac(used, choice.pac)
    if used is None or used.settings is not None:
        return []
    return [
        finding(
            codes.AGENT_PROXY_UNUSABLE,
            f"the proxy set in {used.location} ({used.shown}) cannot be used: {used.problem}",
            **_set_in(used),
            proxy=used.shown,
            problem=used.problem,
        )
    ]


def _set_in(used: ProxyCandidate) -> dict[str, str]:
    """Where the proxy setting a finding is about was read: the evidence every such finding has."""
    return {"source": used.source, "location": used.location}


def _judge_pac(used: ProxyCandidate, pac: PacResult | None) -> list[Finding]:
    if pac is None:
        return []  # nothing was probed, so the PAC file was not needed
    if pac.problem is not None:
        return [
            finding(
                codes.PROXY_PAC_UNREADABLE,
                f"the proxy is decided by PAC ({used.shown}, {used.location}), and netcheck "
                f"could not evaluate it: {pac.problem}; the probes went directly, which may "
                "not be the worker's path",
                **_set_in(used),
                pac=redact(pac.url),
                problem=pac.problem,
            )
        ]
    answers = {d.host: d.answer for d in pac.decisions}
    proxies = sorted({d.settings.redacted_url for d in pac.decisions if d.settings})
    direct = sorted(d.host for d in pac.decisions if d.settings is None and d.problem is None)
    return [
        finding(
            codes.PROXY_DECIDED_BY_PAC,
            f"the proxy is decided by PAC ({used.shown}, {used.location}): "
            f"{len(pac.decisions) - len(direct)} host(s) through "
            f"{', '.join(proxies) or 'no usable proxy'}, {len(direct)} directly",
            **_set_in(used),
            pac=redact(pac.url),
            answers=answers,
            unusable={d.host: d.problem for d in pac.decisions if d.problem},
        )
    ]
