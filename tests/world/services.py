"""Configuration and processes of the world's daemons: dnsmasq, tinyproxy and the TLS server.

Every daemon runs in the foreground under `ip netns exec` (which execs, so the Popen PID is
the daemon's) and is stopped by that PID.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.world import plan
from tests.world.netns import WorldError
from tests.world.scenarios import PRIVATELINK_ZONE, Scenario

HERE = Path(__file__).resolve().parent


@dataclass
class Daemon:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def start(name: str, ns: str, argv: Sequence[str], folder: Path) -> Daemon:
    log = folder / f"{name}.log"
    out: IO[bytes] = log.open("wb")
    with out:
        process = subprocess.Popen(
            ["ip", "netns", "exec", ns, *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return Daemon(name, process, log)


# ---------------------------------------------------------------- dnsmasq


def dnsmasq_base(listen: str) -> list[str]:
    return [
        "no-resolv",
        "no-hosts",
        "no-poll",
        "bind-interfaces",
        f"listen-address={listen}",
        "pid-file=",
        "log-queries",
        "log-facility=-",
    ]


def dnsmasq_config(
    listen: str, scenarios: Iterable[Scenario], real_hosts: Iterable[str], proxy_view: bool
) -> str:
    """One view of the world's DNS. Nothing is ever forwarded outside the world."""
    lines = [
        *dnsmasq_base(listen),
        # Only the names below exist: everything else is NXDOMAIN, as a canary expects.
        "local=/#/",
        # The shipped catalogue's real Azure names are all served by the healthy TLS server.
        *(f"host-record={host},{plan.HEALTHY}" for host in real_hosts),
    ]
    for s in scenarios:
        if s.proxy_view_only and not proxy_view:
            continue
        if s.address and s.wildcard:
            lines.append(f"address=/{s.host}/{s.address}")
        elif s.address:
            lines.append(f"host-record={s.host},{s.address}")
        if s.txt_only:
            lines.append(f'txt-record={s.host},"v=spf1 -all"')
        if s.forward_to:
            lines.append(f"server=/{s.host}/{s.forward_to}")
        if s.private_address:
            private_name = f"{s.label}.{PRIVATELINK_ZONE}"
            lines.append(f"cname={s.host},{private_name}")
            lines.append(f"host-record={private_name},{s.private_address}")
    return "\n".join(lines) + "\n"


def start_dnsmasq(name: str, config: str, folder: Path) -> Daemon:
    conf = folder / f"{name}.conf"
    conf.write_text(config)
    return start(
        name, plan.SRV_NS, ["dnsmasq", "--keep-in-foreground", f"--conf-file={conf}"], folder
    )


def start_dns_servers(
    scenarios: Sequence[Scenario], real_hosts: Sequence[str], folder: Path
) -> list[Daemon]:
    """The client's view, the proxy's view, a server that refuses everything and a portal's
    resolver that answers everything."""
    return [
        start_dnsmasq(
            "dnsmasq-client-view",
            dnsmasq_config(plan.DNS_CLIENT_VIEW, scenarios, real_hosts, proxy_view=False),
            folder,
        ),
        start_dnsmasq(
            "dnsmasq-proxy-view",
            dnsmasq_config(plan.DNS_PROXY_VIEW, scenarios, real_hosts, proxy_view=True),
            folder,
        ),
        # with no data and no upstream, dnsmasq answers REFUSED at once
        start_dnsmasq(
            "dnsmasq-refusing", "\n".join(dnsmasq_base(plan.DNS_REFUSING)) + "\n", folder
        ),
        # a captive portal's resolver: every name, real or not, leads to one address
        start_dnsmasq(
            "dnsmasq-portal",
            "\n".join([*dnsmasq_base(plan.DNS_PORTAL), f"address=/#/{plan.HEALTHY}"]) + "\n",
            folder,
        ),
    ]


# ---------------------------------------------------------------- tinyproxy


def tinyproxy_config(filter_file: Path) -> str:
    return (
        "\n".join(
            [
                "User nobody",
                "Group nogroup",
                f"Listen {plan.PROXY}",
                f"Port {plan.PROXY_PORT}",
                "Timeout 20",
                "MaxClients 100",
                "LogLevel Info",
                f"BasicAuth {plan.PROXY_USER} {plan.PROXY_PASSWORD}",
                f'Filter "{filter_file}"',
                "FilterDefaultDeny No",
                "ConnectPort 443",
                "DisableViaHeader Yes",
            ]
        )
        + "\n"
    )


def start_tinyproxy(scenarios: Sequence[Scenario], folder: Path) -> Daemon:
    filter_file = folder / "tinyproxy.filter"
    denied = [s.host for s in scenarios if s.proxy_deny]
    filter_file.write_text("".join(f"^{h.replace('.', '[.]')}$\n" for h in denied))
    filter_file.chmod(0o644)
    conf = folder / "tinyproxy.conf"
    conf.write_text(tinyproxy_config(filter_file))
    return start("tinyproxy", plan.SRV_NS, ["tinyproxy", "-d", "-c", str(conf)], folder)


# ---------------------------------------------------------------- TLS server


def tls_server_config(
    sites: dict[str, dict[str, Any]], names: dict[str, str], default_site: str, ready_file: Path
) -> dict[str, Any]:
    listeners = [{"address": a, "port": 443, "kind": "tls"} for a in plan.TLS_ADDRESSES]
    listeners.append({"address": plan.LEGACY_TLS, "port": 443, "kind": "legacy-tls"})
    listeners.append({"address": plan.TLS10_ONLY, "port": 443, "kind": "tls1.0-only"})
    listeners.append(
        {"address": plan.AUTH_PROXY, "port": plan.AUTH_PROXY_PORT, "kind": "ntlm-proxy"}
    )
    listeners.append({"address": plan.TLS_STALL, "port": 443, "kind": "stall"})
    # plain HTTP, for the port-80 revocation hosts
    listeners.append({"address": plan.HEALTHY, "port": 80, "kind": "http"})
    return {
        "ready_file": str(ready_file),
        "max_seconds": 1800,
        "listeners": listeners,
        "sites": sites,
        "default_site": default_site,
        "names": names,
    }


def start_tls_server(config: dict[str, Any], folder: Path) -> Daemon:
    path = folder / "tls_server.json"
    path.write_text(json.dumps(config, indent=2))
    daemon = start(
        "tls_server", plan.SRV_NS, [sys.executable, str(HERE / "tls_server.py"), str(path)], folder
    )
    wait_for_file(Path(config["ready_file"]), daemon)
    return daemon


def wait_for_file(path: Path, daemon: Daemon, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if not daemon.alive():
            raise WorldError(f"{daemon.name} exited early:\n{daemon.log_tail()}")
        if time.monotonic() > deadline:
            raise WorldError(f"{daemon.name} not ready after {seconds}s:\n{daemon.log_tail()}")
        time.sleep(0.05)


# ---------------------------------------------------------------- readiness


def wait_until_reachable(
    tcp: Sequence[tuple[str, int]],
    dns: Sequence[tuple[str, str]],
    daemons: Sequence[Daemon],
    seconds: float = 10.0,
) -> None:
    """Polls, from inside ncw-client, until every port accepts and every resolver answers."""
    spec = json.dumps({"tcp": tcp, "dns": dns, "seconds": seconds})
    done = subprocess.run(
        ["ip", "netns", "exec", plan.CLIENT_NS, sys.executable, str(HERE / "wait_ready.py"), spec],
        capture_output=True,
        text=True,
        timeout=seconds + 10,
    )
    if done.returncode != 0:
        logs = "\n".join(f"--- {d.name} (alive={d.alive()})\n{d.log_tail()}" for d in daemons)
        raise WorldError(f"world not reachable: {done.stdout}{done.stderr}\n{logs}")
