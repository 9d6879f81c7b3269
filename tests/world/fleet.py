"""Managed hosts for a fleet run: namespaces each running its own sshd, behind a controller.

    ncw-fw 192.0.2.65 ── 192.0.2.66 ncf-ctl 192.0.2.129 (bridge) ─┬─ 192.0.2.130 ncf-h1
                         (the controller: ansible-playbook runs     ├─ 192.0.2.131 ncf-h2
                          here, and it routes the hosts' traffic)   └─ 192.0.2.132 ncf-h3

The hosts reach the world's servers through ncf-ctl and ncw-fw, as ncw-client does; ncw-fw
gets one link and one route to the fleet's addresses (carved from 192.0.2.0/24, more specific
than the client's /24). Each host has its own UTS namespace, so its host name is its own, and
its own faults (iptables in its namespace, a proxy in its inventory). Nothing touches the root
namespace. Every ncf-* namespace and its processes are removed before building and at teardown.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.world import netns, plan
from tests.world.netns import sh

PREFIX = "ncf-"
CTL_NS = "ncf-ctl"
FW_UPLINK = "192.0.2.65"  # ncw-fw's side of the controller's link
CTL_UPLINK = "192.0.2.66"
UPLINK_PREFIX = 30
LAN = "192.0.2.128/26"
CTL_LAN = "192.0.2.129"
LAN_PREFIX = 26
SSHD = "/usr/sbin/sshd"
REQUIRED_TOOLS = ("ssh", "ssh-keygen", "unshare", "hostname")


@dataclass(frozen=True)
class HostSpec:
    name: str  # its host name (UTS) and its inventory name
    ns: str
    address: str
    firewall: tuple[tuple[str, ...], ...] = ()  # iptables rules (OUTPUT) of its own


@dataclass(frozen=True)
class ManagedHost:
    spec: HostSpec
    sshd: subprocess.Popen[bytes]
    log: Path


@dataclass(frozen=True)
class Fleet:
    hosts: tuple[ManagedHost, ...]
    client_key: Path
    folder: Path


def missing_prerequisites() -> str | None:
    if not Path(SSHD).exists():
        return f"the fleet test needs {SSHD} (Debian: openssh-server)"
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"the fleet test needs {', '.join(missing)} on PATH (Debian: openssh-client)"
    return None


def fleet_namespaces() -> list[str]:
    out = sh("ip", "netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(PREFIX)]


def remove_stale() -> None:
    for ns in fleet_namespaces():
        netns.kill_pids_in(ns)
        sh("ip", "netns", "del", ns, check=False)
    # the fw's end of the uplink went with ncf-ctl; its route went with the link
    if netns.NETNS_ETC.is_dir():
        for folder in netns.NETNS_ETC.glob(f"{PREFIX}*"):
            shutil.rmtree(folder, ignore_errors=True)


def _veth(a: str, a_ns: str, b: str, b_ns: str) -> None:
    sh("ip", "link", "add", a, "netns", a_ns, "type", "veth", "peer", "name", b, "netns", b_ns)


def build_network(specs: Sequence[HostSpec]) -> None:
    """The controller, its link to ncw-fw, its bridge, and one namespace per host."""
    sh("ip", "netns", "add", CTL_NS)
    sh("ip", "link", "set", "lo", "up", ns=CTL_NS)
    sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=CTL_NS)
    _veth("ncff0", plan.FW_NS, "ncfu0", CTL_NS)
    sh("ip", "addr", "add", f"{FW_UPLINK}/{UPLINK_PREFIX}", "dev", "ncff0", ns=plan.FW_NS)
    sh("ip", "link", "set", "ncff0", "up", ns=plan.FW_NS)
    sh("ip", "route", "add", LAN, "via", CTL_UPLINK, ns=plan.FW_NS)
    sh("ip", "addr", "add", f"{CTL_UPLINK}/{UPLINK_PREFIX}", "dev", "ncfu0", ns=CTL_NS)
    sh("ip", "link", "set", "ncfu0", "up", ns=CTL_NS)
    sh("ip", "route", "add", "default", "via", FW_UPLINK, ns=CTL_NS)
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=CTL_NS)
    sh("ip", "link", "add", "ncfbr0", "type", "bridge", ns=CTL_NS)
    sh("ip", "addr", "add", f"{CTL_LAN}/{LAN_PREFIX}", "dev", "ncfbr0", ns=CTL_NS)
    sh("ip", "link", "set", "ncfbr0", "up", ns=CTL_NS)
    for index, spec in enumerate(specs):
        sh("ip", "netns", "add", spec.ns)
        sh("ip", "link", "set", "lo", "up", ns=spec.ns)
        sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", ns=spec.ns)
        port = f"ncfp{index}"
        _veth(port, CTL_NS, "ncfh0", spec.ns)
        sh("ip", "link", "set", port, "master", "ncfbr0", ns=CTL_NS)
        sh("ip", "link", "set", port, "up", ns=CTL_NS)
        sh("ip", "addr", "add", f"{spec.address}/{LAN_PREFIX}", "dev", "ncfh0", ns=spec.ns)
        sh("ip", "link", "set", "ncfh0", "up", ns=spec.ns)
        sh("ip", "route", "add", "default", "via", CTL_LAN, ns=spec.ns)
        for rule in spec.firewall:
            sh("iptables", "-A", "OUTPUT", *rule, ns=spec.ns)
        # the host asks the world's resolver, as ncw-client does
        netns.set_resolver(spec.ns, plan.DNS_CLIENT_VIEW)


def ssh_keys(folder: Path) -> Path:
    """A host key and a client key in `folder`; returns the client's private key."""
    for name in ("ssh_host_ed25519_key", "client_ed25519"):
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"ncf-{name}", "-f",
           str(folder / name))  # fmt: skip
    (folder / "authorized_keys").write_bytes((folder / "client_ed25519.pub").read_bytes())
    return folder / "client_ed25519"


def sshd_config(folder: Path, address: str) -> Path:
    path = folder / f"sshd_config.{address}"
    path.write_text(
        "\n".join(
            [
                f"ListenAddress {address}",
                "Port 22",
                f"HostKey {folder / 'ssh_host_ed25519_key'}",
                f"AuthorizedKeysFile {folder / 'authorized_keys'}",
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",  # the keys live in a test's temporary folder
                "PidFile none",
                "Subsystem sftp internal-sftp",
                "LogLevel VERBOSE",
                "",
            ]
        )
    )
    return path


def start_sshd(spec: HostSpec, folder: Path) -> ManagedHost:
    """sshd in the host's namespace and its own UTS namespace, named spec.name. `ip netns
    exec`, `unshare` and `sh -c exec` each replace themselves, so the PID is sshd's."""
    # sshd refuses to start without its privilege-separation folder (the Debian service
    # creates it at boot; a machine that never started the service has none)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    config = sshd_config(folder, spec.address)
    log = folder / f"sshd-{spec.name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["ip", "netns", "exec", spec.ns, "unshare", "--uts", "sh", "-c",
             f'hostname "$1" && exec {SSHD} -D -e -f "$2"', "sh", spec.name, str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    return ManagedHost(spec, process, log)


def wait_for_ssh(fleet: Fleet, seconds: float = 15.0) -> None:
    """Until every host answers a real SSH login from the controller (and says its name)."""
    import time

    deadline = time.monotonic() + seconds
    for host in fleet.hosts:
        while True:
            done = subprocess.run(
                ["ip", "netns", "exec", CTL_NS, "ssh", *ssh_options(fleet.client_key),
                 f"root@{host.spec.address}", "hostname"],
                capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            if done.returncode == 0 and done.stdout.strip() == host.spec.name:
                break
            if host.sshd.poll() is not None or time.monotonic() > deadline:
                raise netns.WorldError(
                    f"sshd of {host.spec.name} does not answer: {done.stderr.strip()}; "
                    f"log: {host.log.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.2)


def ssh_options(key: Path) -> list[str]:
    return [
        "-i", str(key), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5",
    ]  # fmt: skip


@contextlib.contextmanager
def running_fleet(specs: Sequence[HostSpec], folder: Path) -> Iterator[Fleet]:
    """The managed hosts, reachable by SSH from ncf-ctl; all torn down on exit, even after a
    failure. Needs a running world (its ncw-fw)."""
    remove_stale()
    hosts: list[ManagedHost] = []
    try:
        build_network(specs)
        key = ssh_keys(folder)
        hosts = [start_sshd(spec, folder) for spec in specs]
        built = Fleet(tuple(hosts), key, folder)
        wait_for_ssh(built)
        yield built
    finally:
        for host in hosts:
            with contextlib.suppress(ProcessLookupError):
                host.sshd.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                host.sshd.wait(timeout=5)
        remove_stale()
