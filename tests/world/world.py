"""Puts the whole world together and takes it apart: `with running_world(folder) as world`."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.world import catalogue, netns, pki, plan, scenarios, services
from tests.world.scenarios import Scenario

REQUIRED_TOOLS = ("ip", "dnsmasq", "tinyproxy", "iptables")
LOCK_FILE = Path("/run/lock/ncw-world.lock")
LOCK_WAIT = 600.0
# The shipped catalogue is served for this region and workspace: the world resolves exactly its
# hosts (everything else is NXDOMAIN) and the healthy certificate names them.
SHIPPED_REGION = "westeurope"
SHIPPED_WORKSPACE = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"


def missing_prerequisites() -> str | None:
    """Why the world cannot be built here, or None when it can."""
    if os.geteuid() != 0:
        return "the test world needs root (network namespaces, iptables)"
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"the test world needs {', '.join(missing)} on PATH"
    return None


@dataclass
class World:
    """A running world: paths of its catalogues and trust bundles, and its daemons."""

    folder: Path
    authorities: pki.Authorities
    ca_bundle: Path  # the world's public roots: what a stock trust store would hold
    unrelated_bundle: Path  # a root that signed nothing here
    daemons: list[services.Daemon] = field(default_factory=list)

    def scenario_catalogue(self, name: str, group: Sequence[Scenario]) -> Path:
        """A test catalogue (region "testland") with one endpoint per scenario of `group`."""
        return catalogue.write_scenarios(
            self.folder / f"{name}.yaml", group, self.authorities.microsoft
        )

    def shipped_catalogue(self) -> Path:
        """The shipped catalogue plus the minted Microsoft CAs (raises if it is not there)."""
        return catalogue.write_shipped_with(
            self.folder / "shipped-plus-minted.yaml", self.authorities.microsoft
        )

    @staticmethod
    def proxy_url(
        user: str | None = None, password: str | None = None, port: int = plan.PROXY_PORT
    ) -> str:
        auth = f"{user}:{password}@" if user is not None else ""
        return f"http://{auth}{plan.PROXY}:{port}"

    def dead_daemons(self) -> list[str]:
        return [d.name for d in self.daemons if not d.alive()]


@dataclass(frozen=True)
class Site:
    leaf: pki.Issued
    include_root: bool = False
    http: str = "answer"
    date_offset: int = 0  # seconds added to the HTTP Date header


def mint_sites(auth: pki.Authorities, extra_healthy_names: list[str]) -> dict[str, Site]:
    """The certificate and HTTP behaviour of every TLS server site."""

    def hosts(site: str) -> list[str]:
        return [s.host for s in scenarios.ALL if s.site == site]

    return {
        scenarios.SITE_MICROSOFT_RSA: Site(
            auth.azure_rsa.issue_leaf(hosts(scenarios.SITE_MICROSOFT_RSA) + extra_healthy_names)
        ),
        scenarios.SITE_MICROSOFT_ECC: Site(
            auth.azure_ecc.issue_leaf(hosts(scenarios.SITE_MICROSOFT_ECC), key=pki.p384_key())
        ),
        scenarios.SITE_MICROSOFT_ROOT_2017: Site(
            auth.azure_rsa_ms.issue_leaf(hosts(scenarios.SITE_MICROSOFT_ROOT_2017))
        ),
        # Zscaler presents leaf + its intermediate, as a real server would
        scenarios.SITE_ZSCALER: Site(
            auth.zscaler_intermediate.issue_leaf(hosts(scenarios.SITE_ZSCALER))
        ),
        # an appliance that sends its whole (two-certificate) chain, root included
        scenarios.SITE_CONTOSO: Site(
            auth.contoso.issue_leaf(hosts(scenarios.SITE_CONTOSO)), include_root=True
        ),
        scenarios.SITE_SELF_SIGNED: Site(pki.self_signed_leaf(hosts(scenarios.SITE_SELF_SIGNED))),
        scenarios.SITE_FORGED: Site(auth.forged_azure_rsa.issue_leaf(hosts(scenarios.SITE_FORGED))),
        scenarios.SITE_WRONG_NAME: Site(auth.azure_rsa.issue_leaf(["elsewhere.example.net"])),
        scenarios.SITE_EXPIRED: Site(
            auth.azure_rsa.issue_leaf(
                hosts(scenarios.SITE_EXPIRED),
                not_before=pki.NOW - 400 * pki.DAY,
                not_after=pki.NOW - 30 * pki.DAY,
            )
        ),
        scenarios.SITE_EXPIRING: Site(
            auth.azure_rsa.issue_leaf(
                hosts(scenarios.SITE_EXPIRING), not_after=pki.NOW + 10 * pki.DAY
            )
        ),
        scenarios.SITE_MICROSOFT_NEW_CA: Site(
            auth.azure_new.issue_leaf(hosts(scenarios.SITE_MICROSOFT_NEW_CA))
        ),
        scenarios.SITE_SKEWED_CLOCK: Site(
            auth.azure_rsa.issue_leaf(hosts(scenarios.SITE_SKEWED_CLOCK)),
            date_offset=scenarios.SKEW_SECONDS,
        ),
        scenarios.SITE_SILENT_HTTP: Site(
            auth.azure_rsa.issue_leaf(hosts(scenarios.SITE_SILENT_HTTP)), http="close"
        ),
    }


def shipped_hosts() -> list[tuple[str, int]]:
    """The shipped catalogue's hosts for SHIPPED_REGION; none while the file does not exist."""
    try:
        shipped = catalogue.load_shipped()
    except FileNotFoundError:
        return []
    return catalogue.concrete_hosts(shipped, SHIPPED_REGION, SHIPPED_WORKSPACE)


def start_tls_server(
    auth: pki.Authorities, https_names: list[str], folder: Path
) -> services.Daemon:
    pem_dir = folder / "sites"
    pem_dir.mkdir()
    site_config = {}
    for label, site in mint_sites(auth, https_names).items():
        chain, key = pki.write_served_chain(pem_dir, label, site.leaf, site.include_root)
        site_config[label] = {
            "chain": str(chain),
            "key": str(key),
            "http": site.http,
            "date_offset": site.date_offset,
        }
    names = {s.host: s.site for s in scenarios.ALL if s.site}
    config = services.tls_server_config(
        site_config, names, scenarios.SITE_MICROSOFT_RSA, folder / "tls_server.ready"
    )
    return services.start_tls_server(config, folder)


@contextmanager
def exclusive(seconds: float = LOCK_WAIT) -> Iterator[None]:
    """One world per machine: a second test run (another session, CI) waits for the first."""
    with LOCK_FILE.open("w") as handle:
        deadline = time.monotonic() + seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise netns.WorldError(
                        f"another test run has held {LOCK_FILE} for {seconds:.0f}s"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def running_world(folder: Path) -> Iterator[World]:
    """Builds the world in `folder`; everything is torn down on exit, even after a failure."""
    everything: tuple[Scenario, ...] = scenarios.ALL
    with exclusive(), ExitStack() as stack:
        stack.callback(netns.teardown)
        netns.build(sni_blocked=[s.host for s in everything if s.sni_blocked])
        netns.set_resolver(plan.CLIENT_NS, plan.DNS_CLIENT_VIEW)
        netns.set_resolver(plan.SRV_NS, plan.DNS_PROXY_VIEW)
        # the interceptors in ncw-fw resolve like a proxy, never through the host's resolver
        netns.set_resolver(plan.FW_NS, plan.DNS_PROXY_VIEW)

        auth = pki.mint_authorities()
        daemons: list[services.Daemon] = []

        def started(daemon: services.Daemon) -> services.Daemon:
            stack.callback(daemon.stop)
            daemons.append(daemon)
            return daemon

        real_hosts = shipped_hosts()
        for daemon in services.start_dns_servers(everything, [h for h, _ in real_hosts], folder):
            started(daemon)
        started(services.start_tinyproxy(everything, folder))
        started(start_tls_server(auth, [h for h, port in real_hosts if port == 443], folder))
        services.wait_until_reachable(
            tcp=[
                (plan.HEALTHY, 443),
                (plan.HEALTHY, 80),
                (plan.INSPECTED_KNOWN, 443),
                (plan.INSPECTED_UNKNOWN, 443),
                (plan.PRIVATE, 443),
                (plan.LEGACY_TLS, 443),
                (plan.TLS10_ONLY, 443),
                (plan.TLS_STALL, 443),
                (plan.PROXY, plan.PROXY_PORT),
                (plan.AUTH_PROXY, plan.AUTH_PROXY_PORT),
            ],
            dns=[
                (plan.DNS_CLIENT_VIEW, scenarios.DIRECT[0].host),
                (plan.DNS_PROXY_VIEW, scenarios.DIRECT[0].host),
                (plan.DNS_REFUSING, scenarios.DIRECT[0].host),
                (plan.DNS_PORTAL, scenarios.DIRECT[0].host),
            ],
            daemons=daemons,
        )
        yield World(
            folder=folder,
            authorities=auth,
            ca_bundle=pki.write_bundle(folder / "public-roots.pem", auth.public_roots),
            unrelated_bundle=pki.write_bundle(folder / "unrelated-root.pem", [auth.unrelated_root]),
            daemons=daemons,
        )
