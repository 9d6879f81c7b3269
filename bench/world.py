"""The benchmark's own small internet, with 50 ms of delay each way in the router.

    ncb-client 192.0.2.10 <-veth-> 192.0.2.1 ncb-fw 198.51.100.1 <-veth-> 198.51.100.2 ncb-srv

ncb-srv runs dnsmasq (the Azure names as local zones, nothing forwarded) and the test world's
TLS server (tests/world/tls_server.py, one minted certificate per name) plus a plain HTTP
server for the port-80 revocation hosts. ncb-fw forwards through an NFQUEUE delay line
(bench/delay_line.py) that holds every packet 50 ms, so DNS, TCP and TLS all see a 100 ms
round trip. The prefix is ncb-, never the test suite's ncw-: both may run at the same time.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.world import pki, services
from tests.world.netns import WorldError, kill_pids_in, set_resolver, sh

HERE = Path(__file__).resolve().parent
TESTS_WORLD = HERE.parent / "tests" / "world"

PREFIX = "ncb-"
CLIENT_NS = "ncb-client"
FW_NS = "ncb-fw"
SRV_NS = "ncb-srv"

CLIENT_ADDR = "192.0.2.10"
FW_CLIENT_SIDE = "192.0.2.1"
FW_SRV_SIDE = "198.51.100.1"
SRV_ADDR = "198.51.100.2"
ENDPOINT = "198.51.100.10"  # every name resolves here: TLS on 443, plain HTTP on 80
DNS = "198.51.100.53"

QUEUE_NUM = 0
DELAY_MS = 50.0
LOCK_FILE = Path("/run/lock/ncb-bench.lock")
# Daemons stop by themselves after this, so a killed benchmark never leaves them for long.
MAX_SECONDS = 3600
REQUIRED_TOOLS = ("ip", "iptables", "dnsmasq", "openssl", "curl", "/usr/bin/time", "tcpdump")


def missing_prerequisites() -> str | None:
    """Why the world cannot be built here, or None when it can."""
    if os.geteuid() != 0:
        return "the benchmark needs root (network namespaces, iptables, NFQUEUE)"
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"the benchmark needs {', '.join(missing)} on PATH"
    try:
        import netfilterqueue  # noqa: F401
    except ImportError:
        return "the delay line needs the PyPI package netfilterqueue (and libnetfilter-queue-dev)"
    return None


@dataclass
class World:
    folder: Path
    roots: Path  # the minted root: what every client is told to trust
    daemons: list[services.Daemon] = field(default_factory=list)

    def dead_daemons(self) -> list[str]:
        return [d.name for d in self.daemons if not d.alive()]


@dataclass(frozen=True)
class Authorities:
    """A stand-in for Microsoft's chain: root, issuing CA, then one leaf per name."""

    root: pki.Issued
    issuing: pki.Issued

    @property
    def microsoft(self) -> tuple[pki.Issued, ...]:
        return (self.root, self.issuing)


def mint() -> Authorities:
    root = pki.root("DigiCert Global Root G2", "DigiCert Inc")
    return Authorities(
        root, root.issue_ca("Microsoft Azure RSA TLS Issuing CA 03", "Microsoft Corporation")
    )


# ---------------------------------------------------------------- namespaces


def _namespaces() -> list[str]:
    out = sh("ip", "netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(PREFIX)]


def remove_stale() -> None:
    """Removes every ncb-* namespace, its processes (PID by PID) and its /etc/netns folder."""
    for ns in _namespaces():
        kill_pids_in(ns)
        sh("ip", "netns", "del", ns, check=False)
    etc = Path("/etc/netns")
    for folder in etc.glob(f"{PREFIX}*"):
        shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        etc.rmdir()  # only when no other namespace left its folder there


def build_topology() -> None:
    for ns in (CLIENT_NS, FW_NS, SRV_NS):
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
    link = ("ip", "link", "add")
    sh(*link, "ncbc0", "netns", CLIENT_NS, "type", "veth", "peer", "name", "ncbf0", "netns", FW_NS)
    sh(*link, "ncbf1", "netns", FW_NS, "type", "veth", "peer", "name", "ncbs0", "netns", SRV_NS)
    sh("ip", "addr", "add", f"{CLIENT_ADDR}/24", "dev", "ncbc0", ns=CLIENT_NS)
    sh("ip", "link", "set", "ncbc0", "up", ns=CLIENT_NS)
    sh("ip", "route", "add", "default", "via", FW_CLIENT_SIDE, ns=CLIENT_NS)
    sh("ip", "addr", "add", f"{FW_CLIENT_SIDE}/24", "dev", "ncbf0", ns=FW_NS)
    sh("ip", "addr", "add", f"{FW_SRV_SIDE}/24", "dev", "ncbf1", ns=FW_NS)
    sh("ip", "link", "set", "ncbf0", "up", ns=FW_NS)
    sh("ip", "link", "set", "ncbf1", "up", ns=FW_NS)
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=FW_NS)
    for address in (SRV_ADDR, ENDPOINT, DNS):
        sh("ip", "addr", "add", f"{address}/24", "dev", "ncbs0", ns=SRV_NS)
    sh("ip", "link", "set", "ncbs0", "up", ns=SRV_NS)
    sh("ip", "route", "add", "default", "via", FW_SRV_SIDE, ns=SRV_NS)


# ---------------------------------------------------------------- daemons


def local_zones(hosts: Sequence[str]) -> list[str]:
    """The registrable-looking parent (last two labels) of every host: dnsmasq answers these
    zones alone, so a name not listed (a canary) is NXDOMAIN, as on the real internet."""
    return sorted({".".join(h.split(".")[-2:]) for h in hosts})


def dnsmasq_config(hosts: Sequence[str]) -> str:
    lines = [
        "no-resolv",
        "no-hosts",
        "no-poll",
        "bind-interfaces",
        f"listen-address={DNS}",
        "pid-file=",
        "cache-size=0",
        *(f"local=/{zone}/" for zone in local_zones(hosts)),
        *(f"host-record={host},{ENDPOINT}" for host in hosts),
    ]
    return "\n".join(lines) + "\n"


def certificate_names(host: str) -> list[str]:
    """The leaf's names, the first becoming its common name: a common name holds at most 64
    characters, so a longer host (<account-id>.jrds...) is named by its parent's wildcard."""
    if len(host) <= 64:
        return [host]
    return [f"*.{host.partition('.')[2]}", host]


def start_tls_server(auth: Authorities, hosts: Sequence[str], folder: Path) -> services.Daemon:
    """The test world's TLS server with one site per name: each gets its own leaf."""
    pem_dir = folder / "sites"
    pem_dir.mkdir()
    sites = {}
    for host in hosts:
        leaf = auth.issuing.issue_leaf(certificate_names(host))
        chain, key = pki.write_served_chain(pem_dir, host, leaf)
        sites[host] = {"chain": str(chain), "key": str(key), "http": "answer", "date_offset": 0}
    ready = folder / "tls_server.ready"
    config = {
        "ready_file": str(ready),
        "max_seconds": MAX_SECONDS,
        "listeners": [{"address": ENDPOINT, "port": 443, "kind": "tls"}],
        "sites": sites,
        "default_site": hosts[0],
        "names": {host: host for host in hosts},
    }
    path = folder / "tls_server.json"
    path.write_text(json.dumps(config, indent=1))
    argv = [sys.executable, "-m", "bench.tls_endpoint", str(path)]
    daemon = services.start("tls_server", SRV_NS, argv, folder)
    services.wait_for_file(ready, daemon, seconds=60.0)
    return daemon


def start_http_server(folder: Path) -> services.Daemon:
    """Plain HTTP for the port-80 revocation hosts: an empty directory listing, status 200."""
    www = folder / "www"
    www.mkdir()
    argv = [sys.executable, "-m", "bench.http_endpoint", ENDPOINT, "80", str(www), str(MAX_SECONDS)]
    return services.start("http_server", SRV_NS, argv, folder)


def start_delay_line(folder: Path) -> services.Daemon:
    """The delay line first, then the rule that feeds it: a queue with no reader drops."""
    ready = folder / "delay_line.ready"
    argv = [
        sys.executable,
        str(HERE / "delay_line.py"),
        str(QUEUE_NUM),
        str(DELAY_MS),
        str(ready),
        str(MAX_SECONDS),
    ]
    daemon = services.start("delay_line", FW_NS, argv, folder)
    services.wait_for_file(ready, daemon)
    sh("iptables", "-A", "FORWARD", "-j", "NFQUEUE", "--queue-num", str(QUEUE_NUM), ns=FW_NS)
    return daemon


def wait_until_reachable(daemons: Sequence[services.Daemon], probe_name: str) -> None:
    spec = json.dumps(
        {"tcp": [[ENDPOINT, 443], [ENDPOINT, 80]], "dns": [[DNS, probe_name]], "seconds": 15}
    )
    done = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            CLIENT_NS,
            sys.executable,
            str(TESTS_WORLD / "wait_ready.py"),
            spec,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        logs = "\n".join(f"--- {d.name} (alive={d.alive()})\n{d.log_tail()}" for d in daemons)
        raise WorldError(f"benchmark world not reachable: {done.stdout}{done.stderr}\n{logs}")


# ---------------------------------------------------------------- lifecycle


@contextmanager
def exclusive() -> Iterator[None]:
    """One benchmark per machine; a second one fails at once rather than skew both."""
    with LOCK_FILE.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WorldError(f"another benchmark holds {LOCK_FILE}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def running_world(folder: Path, auth: Authorities, hosts: Sequence[str]) -> Iterator[World]:
    """Builds the world; everything is torn down on exit, even after a failure."""
    with exclusive(), ExitStack() as stack:
        remove_stale()
        stack.callback(remove_stale)
        build_topology()
        set_resolver(CLIENT_NS, DNS)
        world = World(folder, pki.write_bundle(folder / "roots.pem", [auth.root]))

        def started(daemon: services.Daemon) -> None:
            stack.callback(daemon.stop)
            world.daemons.append(daemon)

        conf = folder / "dnsmasq.conf"
        conf.write_text(dnsmasq_config(hosts))
        started(
            services.start(
                "dnsmasq",
                SRV_NS,
                ["dnsmasq", "--keep-in-foreground", f"--conf-file={conf}"],
                folder,
            )
        )
        started(start_tls_server(auth, hosts, folder))
        started(start_http_server(folder))
        started(start_delay_line(folder))
        wait_until_reachable(world.daemons, hosts[0])
        yield world


@contextmanager
def blackholed(with_dns: bool) -> Iterator[None]:
    """Every endpoint (and, when asked, the resolver) silently dropped by the router."""
    addresses = [ENDPOINT, DNS] if with_dns else [ENDPOINT]
    for address in addresses:
        sh("iptables", "-I", "FORWARD", "1", "-d", address, "-j", "DROP", ns=FW_NS)
    try:
        yield
    finally:
        for address in addresses:
            sh("iptables", "-D", "FORWARD", "-d", address, "-j", "DROP", ns=FW_NS, check=False)


@contextmanager
def undelayed() -> Iterator[None]:
    """The router forwards at once (no delay line): a round trip of well under a millisecond,
    for what a command costs in CPU rather than in waiting."""
    rule = ("FORWARD", "-j", "NFQUEUE", "--queue-num", str(QUEUE_NUM))
    sh("iptables", "-D", *rule, ns=FW_NS)
    try:
        yield
    finally:
        sh("iptables", "-A", *rule, ns=FW_NS)


def round_trip_ms(samples: int = 5) -> float:
    """The median TCP connect time from the client to the endpoint: one round trip."""
    code = (
        "import socket,statistics,time\n"
        "t=[]\n"
        f"for _ in range({samples}):\n"
        "    s=time.monotonic()\n"
        f"    socket.create_connection(({ENDPOINT!r},443),timeout=5).close()\n"
        "    t.append(time.monotonic()-s)\n"
        "print(statistics.median(t)*1000)\n"
    )
    done = sh(sys.executable, "-c", code, ns=CLIENT_NS)
    time.sleep(0.2)  # let the closed connections' last packets drain through the line
    return float(done.stdout)
