"""Builds and removes the three namespaces (client, firewall, servers) and the firewall rules.

    ncw-client 192.0.2.10 <-veth-> 192.0.2.1 ncw-fw 198.51.100.1 <-veth-> 198.51.100.2 ncw-srv

The veth pairs are created directly between namespaces, so the root namespace never gets an
interface, a route or an address of the world.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from tests.world import plan

NETNS_ETC = Path("/etc/netns")


class WorldError(RuntimeError):
    """A command that builds the world failed; the message carries its stderr."""


def sh(*cmd: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs one command (inside `ns` when given) and returns it; raises WorldError on failure."""
    argv = ["ip", "netns", "exec", ns, *cmd] if ns else list(cmd)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise WorldError(f"{' '.join(argv)} -> {done.returncode}: {done.stderr.strip()}")
    return done


def world_namespaces() -> list[str]:
    out = sh("ip", "netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(plan.PREFIX)]


def kill_pids_in(ns: str) -> None:
    """Kills what runs in a namespace of ours (left over from an aborted run), PID by PID."""
    out = sh("ip", "netns", "pids", ns, check=False).stdout
    for pid in out.split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def remove_stale() -> None:
    """Removes every ncw-* namespace, its processes and its /etc/netns folder."""
    for ns in world_namespaces():
        kill_pids_in(ns)
        sh("ip", "netns", "del", ns, check=False)
    if NETNS_ETC.is_dir():
        for folder in NETNS_ETC.glob(f"{plan.PREFIX}*"):
            shutil.rmtree(folder, ignore_errors=True)
        if not any(NETNS_ETC.iterdir()):
            NETNS_ETC.rmdir()


def set_resolver(ns: str, nameserver: str) -> Path:
    """Writes /etc/netns/<ns>/resolv.conf so programs in `ns` never ask the host's resolver."""
    folder = NETNS_ETC / ns
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "resolv.conf"
    path.write_text(f"nameserver {nameserver}\noptions timeout:1 attempts:1\n")
    return path


def build_topology() -> None:
    for ns in (plan.CLIENT_NS, plan.FW_NS, plan.SRV_NS):
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        # IPv6 would add link-local noise and AAAA paths the plan does not cover
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=ns)
    sh(
        "ip",
        "link",
        "add",
        "ncwc0",
        "netns",
        plan.CLIENT_NS,
        "type",
        "veth",
        "peer",
        "name",
        "ncwf0",
        "netns",
        plan.FW_NS,
    )
    sh(
        "ip",
        "link",
        "add",
        "ncwf1",
        "netns",
        plan.FW_NS,
        "type",
        "veth",
        "peer",
        "name",
        "ncws0",
        "netns",
        plan.SRV_NS,
    )

    sh("ip", "addr", "add", f"{plan.CLIENT_ADDR}/24", "dev", "ncwc0", ns=plan.CLIENT_NS)
    sh("ip", "link", "set", "ncwc0", "up", ns=plan.CLIENT_NS)
    sh("ip", "route", "add", "default", "via", plan.FW_CLIENT_SIDE, ns=plan.CLIENT_NS)

    sh("ip", "addr", "add", f"{plan.FW_CLIENT_SIDE}/24", "dev", "ncwf0", ns=plan.FW_NS)
    sh("ip", "addr", "add", f"{plan.FW_SRV_SIDE}/24", "dev", "ncwf1", ns=plan.FW_NS)
    sh("ip", "link", "set", "ncwf0", "up", ns=plan.FW_NS)
    sh("ip", "link", "set", "ncwf1", "up", ns=plan.FW_NS)
    sh("ip", "route", "add", plan.OBSTRUCTED_NET, "via", plan.SRV_ADDR, ns=plan.FW_NS)
    sh("ip", "route", "add", f"{plan.PRIVATE}/32", "via", plan.SRV_ADDR, ns=plan.FW_NS)
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=plan.FW_NS)

    for address in plan.SRV_ADDRESSES:
        prefix = 24 if address.startswith("198.51.100.") else 32
        sh("ip", "addr", "add", f"{address}/{prefix}", "dev", "ncws0", ns=plan.SRV_NS)
    sh("ip", "addr", "add", f"{plan.PRIVATE}/32", "dev", "lo", ns=plan.SRV_NS)
    sh("ip", "link", "set", "ncws0", "up", ns=plan.SRV_NS)
    sh("ip", "route", "add", "default", "via", plan.FW_SRV_SIDE, ns=plan.SRV_NS)


def firewall_rules(sni_blocked: Iterable[str]) -> list[list[str]]:
    """The FORWARD rules of ncw-fw, as iptables argument lists."""
    rules = [
        ["-d", plan.TCP_DROP, "-j", "DROP"],
        ["-d", plan.TCP_RESET, "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
        ["-d", plan.TCP_UNREACHABLE, "-j", "REJECT", "--reject-with", "icmp-host-unreachable"],
        ["-d", plan.DNS_DROPPED, "-j", "DROP"],
    ]
    for name in sni_blocked:
        # the server name travels in clear in the ClientHello: what SNI-filtering firewalls use
        rules.append(
            [
                "-p",
                "tcp",
                "--dport",
                "443",
                "-m",
                "string",
                "--string",
                name,
                "--algo",
                "bm",
                "-j",
                "REJECT",
                "--reject-with",
                "tcp-reset",
            ]
        )
    return rules


def install_firewall(sni_blocked: Sequence[str]) -> None:
    for rule in firewall_rules(sni_blocked):
        sh("iptables", "-A", "FORWARD", *rule, ns=plan.FW_NS)


def build(sni_blocked: Sequence[str]) -> None:
    """Builds the namespaces, links, routes and firewall; remove with `teardown`."""
    remove_stale()
    build_topology()
    install_firewall(sni_blocked)


def teardown() -> None:
    remove_stale()
