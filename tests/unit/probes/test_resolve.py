"""DNS as the worker resolves: dnspython configured through the Win32 API on Windows, the OS
resolver (getaddrinfo) asked alongside without delaying the first query, and a resolver
configuration that cannot be read as a finding, never an internal error. Every packet stays
on loopback; getaddrinfo is a fake wherever it would ask the host's resolvers."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import dns.asyncresolver
import dns.resolver
import dns.win32util
import pytest

from netcheck.findings.network import dns_rules
from netcheck.models import OS_RESOLVER, Deployment, DnsObservation, Observation, Outcome, Target
from netcheck.probes import event_loop
from netcheck.probes import resolve as dns_probe

from ..conftest import Netcheck

HOST = "x.azure-automation.net"


@pytest.fixture
def silent_dns() -> Iterator[tuple[int, threading.Event]]:
    """A loopback UDP port that takes queries and never answers; the event marks the first."""
    received = threading.Event()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(3)

        def serve() -> None:
            try:
                sock.recvfrom(512)
                received.set()
            except OSError:
                pass

        threading.Thread(target=serve, daemon=True).start()
        yield sock.getsockname()[1], received


def resolve(host: str, resolvers: dns_probe.Resolvers) -> DnsObservation:
    """One lookup on an event loop of its own, getaddrinfo in its threads, as a probe runs it."""
    return event_loop.run(dns_probe.resolve(host, resolvers), threads=2)


def resolvers_at(port: int, system: Any) -> dns_probe.Resolvers:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.timeout = resolver.lifetime = 0.5
    return dns_probe.Resolvers(dns_probe.DnsResolver.of(resolver), None, system)


def test_getaddrinfo_runs_alongside_and_never_before_the_first_query(
    silent_dns: tuple[int, threading.Event],
) -> None:
    port, received = silent_dns
    seen: list[bool] = []

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        # Serialised before the DNS query, this would wait in vain for the query's packet.
        seen.append(received.wait(2))
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]

    obs = resolve(HOST, resolvers_at(port, getaddrinfo))
    assert seen == [True]
    assert obs.outcome is Outcome.TIMEOUT and obs.system_addresses == ("10.1.2.3",)


def test_a_getaddrinfo_that_hangs_costs_the_timeout_not_the_run(
    silent_dns: tuple[int, threading.Event],
) -> None:
    """getaddrinfo has no timeout of its own (a resolver with retries can keep it for half a
    minute): its answer is awaited until the lookup's timeout, then reported missing, and
    the thread's late answer goes nowhere."""
    port, _ = silent_dns
    release = threading.Event()

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        release.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]

    resolvers = dataclasses.replace(resolvers_at(port, getaddrinfo), timeout=0.5)
    started = time.monotonic()
    obs = resolve(HOST, resolvers)
    assert time.monotonic() - started < 3
    release.set()
    assert obs.system_addresses == () and obs.system_error == "getaddrinfo: no answer in time"


def test_an_answer_that_came_in_time_counts_however_long_the_probe_took_after_it(
    silent_dns: tuple[int, threading.Event],
) -> None:
    """The probe joins getaddrinfo's answer at its end, which may be long after the lookup's
    timeout (a TCP connect that timed out): an answer that came in time is kept."""
    port, _ = silent_dns

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0))]

    resolvers = dataclasses.replace(resolvers_at(port, getaddrinfo), timeout=0.3)

    async def probe_that_takes_long() -> DnsObservation:
        lookup = dns_probe.ask(HOST, resolvers)
        await asyncio.sleep(0.6)  # the probe's later steps, past the lookup's deadline
        return await lookup.observation()

    obs = event_loop.run(probe_that_takes_long(), threads=2)
    assert obs.system_addresses == ("10.1.2.3",) and obs.system_error is None


def target() -> Target:
    return Target(HOST, 443, ("e",), "test", frozenset({Deployment.AGENT}), True, "unit test")


def test_when_the_os_resolver_and_the_dns_servers_differ_it_is_said() -> None:
    hosts_file = DnsObservation(
        Outcome.NXDOMAIN, ("10.0.0.53",), error="nx", system_addresses=("10.9.9.9",)
    )
    codes = [f.code for f in dns_rules(target(), Observation("t", dns=hosts_file), None)]  # type: ignore[arg-type]
    assert codes == ["DNS_NXDOMAIN", "DNS_RESOLVERS_DIFFER"]
    same = DnsObservation(
        Outcome.OK, ("10.0.0.53",), ("20.1.1.1", "20.1.1.2"), system_addresses=("20.1.1.2",)
    )
    assert dns_rules(target(), Observation("t", dns=same), None) == []  # type: ignore[arg-type]


def test_windows_reads_resolvers_through_the_win32_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """dns.win32util has ConfigMethod and set_config_method only on Windows (dnspython 2.8)."""
    calls: list[str] = []

    class ConfigMethod:
        Registry, WMI, Win32 = 1, 2, 3

    real = dns.asyncresolver.Resolver

    class Recording(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            calls.append("Resolver()")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(dns.win32util, "ConfigMethod", ConfigMethod, raising=False)
    monkeypatch.setattr(
        dns.win32util, "set_config_method", lambda m: calls.append(f"method {m}"), raising=False
    )
    monkeypatch.setattr(dns.asyncresolver, "Resolver", Recording)
    dns_probe.make_resolvers(None, 1.0, platform="win32")
    assert calls == ["method 3", "Resolver()"]


def no_resolv_conf(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any, *args: Any, **kwargs: Any) -> None:
        raise dns.resolver.NoResolverConfiguration("no nameservers")

    monkeypatch.setattr(dns_probe, "RESOLV_CONF", "/nonexistent/resolv.conf")
    monkeypatch.setattr(dns.resolver.BaseResolver, "read_resolv_conf", broken)
    monkeypatch.setattr(dns.resolver.BaseResolver, "read_registry", broken, raising=False)

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_no_resolver_configuration_falls_back_to_the_os_resolver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    no_resolv_conf(monkeypatch)
    resolvers = dns_probe.make_resolvers(None, 1.0)
    assert resolvers.dns is None and "no nameservers" in (resolvers.problem or "")
    obs = resolve(HOST, resolvers)
    assert obs.resolver == (OS_RESOLVER,) and obs.outcome is Outcome.NXDOMAIN


def test_check_without_resolver_configuration_is_a_finding_not_exit_3(
    netcheck: Netcheck, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fails on the code before issue 10: Resolver() raised and check ended in exit 3."""
    no_resolv_conf(monkeypatch)
    started = time.monotonic()
    run = netcheck("check", "-r", "westeurope", "--format", "json", "--timeout", "0.5")
    assert run.code == 1, run.err
    report = json.loads(run.out)
    (config,) = [f for f in report["findings"] if f["code"] == "DNS_RESOLVER_CONFIG"]
    assert "no nameservers" in config["message"]
    assert time.monotonic() - started < 20


RESOLV_CONFS = {
    "two servers": "# written by a DHCP client\n; a comment\nsearch corp.example\n"
    "nameserver 10.0.0.53\nnameserver 2001:db8::53\noptions ndots:2 timeout:1\n",
    "rotates": "nameserver 10.0.0.53\nnameserver 10.0.0.54\noptions rotate\n",
    "speaks EDNS": "nameserver 10.0.0.53\noptions edns0\n",
}


@pytest.mark.parametrize("text", RESOLV_CONFS.values(), ids=RESOLV_CONFS)
def test_resolv_conf_is_read_as_dnspython_reads_it(
    text: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The servers and the server asked directly are those of dnspython's own reading, and
    the resolver it builds later reads the same text."""
    path = tmp_path / "resolv.conf"
    path.write_text(text)
    monkeypatch.setattr(dns_probe, "RESOLV_CONF", str(path))
    ours = dns_probe.make_resolvers(None, 1.5).dns
    theirs = dns_probe.DnsResolver.of(dns.asyncresolver.Resolver(filename=str(path)))
    assert ours is not None and "resolver" not in vars(ours)  # not built yet
    assert (ours.servers, ours.direct) == (theirs.servers, theirs.direct)
    built = ours.resolver
    assert (
        built.nameservers == theirs.resolver.nameservers and built.rotate is theirs.resolver.rotate
    )
    assert built.lifetime == built.timeout == ours.lifetime == 1.5


def test_a_server_named_otherwise_leaves_the_file_to_dnspython(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "resolv.conf"
    path.write_text("nameserver dns.corp.example\n")
    monkeypatch.setattr(dns_probe, "RESOLV_CONF", str(path))
    resolvers = dns_probe.make_resolvers(None, 1.0)
    assert resolvers.dns is None and "is not a dns.nameserver.Nameserver" in (
        resolvers.problem or ""
    )


# A check's first packets leave before dnspython's resolver is imported (about 26 ms).
LAZY = """
import sys
from netcheck.probes import resolve
resolve.RESOLV_CONF = sys.argv[1]
found = resolve.make_resolvers(None, 1.0)
print(found.dns.direct, sorted(m for m in sys.modules if m in ("dns.resolver", "dns.asyncresolver")))
"""


def test_reading_the_configuration_imports_no_dnspython_resolver(tmp_path: Any) -> None:
    path = tmp_path / "resolv.conf"
    path.write_text("nameserver 10.0.0.53\n")
    done = subprocess.run(
        [sys.executable, "-c", LAZY, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "('10.0.0.53', 53) []", done.stderr
