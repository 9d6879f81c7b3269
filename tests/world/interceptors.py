"""Real TLS-intercepting proxies for the world: mitmdump (explicit and transparent) and squid.

Neither belongs to the project's own environment: mitmproxy pins versions that clash with
ours, so it lives in a virtual environment of its own, and Debian's squid-openssl conflicts
with the plain squid package, so it is unpacked into a folder and run from there. The
`missing_*` functions say why a test must skip when one is not there.

Both run in the foreground under `ip netns exec` and are stopped by PID:
  mitmdump  in ncw-fw, one process per inspection CA, each an explicit proxy on the client's
            gateway address and a transparent proxy behind `redirected` (iptables REDIRECT)
  squid     in ncw-srv on plan.SQUID, bumping every CONNECT tunnel (ssl-bump)
Each trusts only the world's public roots upstream, as an appliance trusts the real ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.world import netns, plan, services
from tests.world.catalogue import REPO
from tests.world.pki import Issued

MITMDUMP_ENV = "NETCHECK_MITMPROXY"
MITMDUMP_DEFAULT = REPO / ".venv-mitmproxy" / "bin" / "mitmdump"
# The folder Debian's squid-openssl was unpacked into (`dpkg -x`); a system-wide squid-openssl
# (the root folder) serves as well.
SQUID_ENV = "NETCHECK_SQUID_OPENSSL"
SQUID_DEFAULT = REPO / ".squid-openssl"
SQUID_DATA = Path("/usr/share/squid/mime.conf")  # from squid-common: error pages, MIME table
SQUID_USER = "proxy"  # squid refuses to run as root; Debian's base-passwd has this user
MITMDUMP_INSTALL = (
    "python3 -m venv .venv-mitmproxy && .venv-mitmproxy/bin/pip install mitmproxy==11.0.2"
)
SQUID_INSTALL = (
    "install squid's libraries (apt-get install squid, or squid-common libecap3 libltdl7 "
    "libnetfilter-conntrack3 libtdb1), then `apt-get download squid-openssl` and "
    "`dpkg -x squid-openssl_*.deb .squid-openssl`"
)
# The inspection CAs the tests choose (CN, O): one whose name no signature list knows, and
# squid's, whose name says squid (its real name is whatever the administrator chose).
UNKNOWN_CA = ("Fabrikam Web Gateway Root CA", "Fabrikam Inc")
SQUID_CA = ("Squid ssl-bump CA", "netcheck test world")
READY_SECONDS = 20.0  # mitmdump imports for a few seconds on a slow machine


@dataclass(frozen=True)
class Interceptor:
    """A running intercepting proxy: where to reach it and the CA it forges with."""

    name: str
    daemon: services.Daemon
    proxy_url: str
    ca_cert: Path  # the inspection root, PEM: what an enterprise adds to its trust store
    transparent_port: int | None = None
    scratch: Path | None = None  # a folder of its own outside the world folder, removed on stop

    def stop(self) -> None:
        self.daemon.stop()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


# ---------------------------------------------------------------- where they are


def mitmdump_path() -> Path:
    return Path(os.environ.get(MITMDUMP_ENV) or MITMDUMP_DEFAULT)


def missing_mitmproxy() -> str | None:
    path = mitmdump_path()
    if not os.access(path, os.X_OK):
        return f"mitmdump not found at {path} (set ${MITMDUMP_ENV} or run: {MITMDUMP_INSTALL})"
    return None


def _squid_openssl_in(root: Path) -> bool:
    squid = root / "usr/sbin/squid"
    if not os.access(squid, os.X_OK) or not (root / "usr/lib/squid/security_file_certgen").exists():
        return False
    # The plain (GnuTLS) squid has no ssl-bump; its -v lacks --with-openssl.
    done = subprocess.run([str(squid), "-v"], capture_output=True, text=True, timeout=10)
    return "--with-openssl" in done.stdout


def squid_root() -> Path | None:
    """The folder holding usr/sbin/squid of squid-openssl, or None."""
    given = os.environ.get(SQUID_ENV)
    candidates = [Path(given)] if given else [SQUID_DEFAULT, Path("/")]
    return next((root for root in candidates if _squid_openssl_in(root)), None)


def missing_squid() -> str | None:
    if squid_root() is None:
        where = os.environ.get(SQUID_ENV) or f"{SQUID_DEFAULT} or /"
        return f"squid-openssl not found in {where} (set ${SQUID_ENV} or {SQUID_INSTALL})"
    if not SQUID_DATA.exists():
        return f"squid needs {SQUID_DATA} (Debian package squid-common)"
    return None


# ---------------------------------------------------------------- mitmdump


def start_mitmdump(
    name: str,
    ca: Issued | None,
    proxy_port: int,
    transparent_port: int,
    upstream_roots: Path,
    folder: Path,
) -> Interceptor:
    """mitmdump in ncw-fw with `ca` (None: the CA mitmproxy generates, CN=mitmproxy)."""
    confdir = folder / name
    confdir.mkdir()
    if ca is not None:
        # mitmproxy's format for a CA of one's own: key and certificate in one PEM file
        (confdir / "mitmproxy-ca.pem").write_bytes(ca.key_pem() + ca.pem())
        (confdir / "mitmproxy-ca-cert.pem").write_bytes(ca.pem())
    argv = [
        str(mitmdump_path()),
        "-q",
        "--set",
        f"confdir={confdir}",
        "--mode",
        f"regular@{plan.FW_CLIENT_SIDE}:{proxy_port}",
        "--mode",
        f"transparent@{plan.FW_CLIENT_SIDE}:{transparent_port}",
        # without it mitmproxy cannot validate the world's servers and answers 502
        "--set",
        f"ssl_verify_upstream_trusted_ca={upstream_roots}",
    ]
    daemon = services.start(name, plan.FW_NS, argv, folder)
    interceptor = Interceptor(
        name,
        daemon,
        f"http://{plan.FW_CLIENT_SIDE}:{proxy_port}",
        confdir / "mitmproxy-ca-cert.pem",
        transparent_port,
    )
    try:
        # The probe of the transparent port was not redirected, so mitmdump logs a harmless
        # "Transparent mode failure" (no original destination) for it.
        services.wait_until_reachable(
            tcp=[(plan.FW_CLIENT_SIDE, proxy_port), (plan.FW_CLIENT_SIDE, transparent_port)],
            dns=[],
            daemons=[daemon],
            seconds=READY_SECONDS,
        )
    except netns.WorldError:
        interceptor.stop()
        raise
    return interceptor


@contextmanager
def redirected(routes: Mapping[str, int]) -> Iterator[None]:
    """The fw sends TCP 443 for each address to a local port (a transparent interceptor)."""
    rules = [
        [
            "PREROUTING",
            "-i",
            "ncwf0",
            "-p",
            "tcp",
            "-d",
            address,
            "--dport",
            "443",
            "-j",
            "REDIRECT",
            "--to-ports",
            str(port),
        ]
        for address, port in routes.items()
    ]
    added: list[list[str]] = []
    try:
        for rule in rules:
            netns.sh("iptables", "-t", "nat", "-A", *rule, ns=plan.FW_NS)
            added.append(rule)
        yield
    finally:
        for rule in added:
            netns.sh("iptables", "-t", "nat", "-D", *rule, ns=plan.FW_NS, check=False)


# ---------------------------------------------------------------- squid


def squid_config(ca_file: Path, certgen: Path, db: Path, upstream_roots: Path) -> str:
    return (
        "\n".join(
            [
                f"http_port {plan.SQUID}:{plan.SQUID_PORT} ssl-bump tls-cert={ca_file} "
                "generate-host-certificates=on dynamic_cert_mem_cache_size=4MB",
                f"sslcrtd_program {certgen} -s {db} -M 4MB",
                "sslcrtd_children 3 startup=1 idle=1",
                # read the client's SNI first, then bump with a forgery of the server's cert
                "acl step1 at_step SslBump1",
                "ssl_bump peek step1",
                "ssl_bump bump all",
                f"tls_outgoing_options cafile={upstream_roots}",
                "http_access allow all",
                f"dns_nameservers {plan.DNS_PROXY_VIEW}",
                "cache deny all",
                "cache_mem 8 MB",
                f"cache_effective_user {SQUID_USER}",
                "pid_filename none",
                "access_log none",
                "cache_log /dev/null",  # -d 1 sends the same lines to the daemon log
                f"coredump_dir {db.parent}",
                "shutdown_lifetime 1 seconds",
                "visible_hostname ncw-squid",
                "pinger_enable off",
            ]
        )
        + "\n"
    )


def start_squid(ca: Issued, upstream_roots: Path, folder: Path) -> Interceptor:
    """squid-openssl in ncw-srv, bumping every CONNECT with certificates forged by `ca`."""
    root = squid_root()
    if root is None:
        raise netns.WorldError(missing_squid() or "squid-openssl not found")
    # Squid drops to SQUID_USER, which cannot enter pytest's private temporary folders: its
    # files live in a folder of its own.
    scratch = Path(tempfile.mkdtemp(prefix="ncw-squid-"))
    try:
        ca_file = scratch / "ca.pem"
        ca_file.write_bytes(ca.pem() + ca.key_pem())
        upstream = scratch / "upstream-roots.pem"
        shutil.copyfile(upstream_roots, upstream)
        # squid runs its helper as the unprivileged proxy user, who may not be able to reach
        # the unpacked tree (a clone under a 0700 temporary folder): give it its own copy.
        certgen = scratch / "security_file_certgen"
        shutil.copy2(root / "usr/lib/squid/security_file_certgen", certgen)
        db = scratch / "ssl_db"
        netns.sh(str(certgen), "-c", "-s", str(db), "-M", "4MB")
        conf = scratch / "squid.conf"
        conf.write_text(squid_config(ca_file, certgen, db, upstream))
        netns.sh("chown", "-R", f"{SQUID_USER}:", str(scratch))
        argv = [str(root / "usr/sbin/squid"), "-N", "-d", "1", "-f", str(conf)]
        daemon = services.start("squid-bump", plan.SRV_NS, argv, folder)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    (folder / "squid-bump-ca.pem").write_bytes(ca.pem())
    interceptor = Interceptor(
        "squid-bump",
        daemon,
        f"http://{plan.SQUID}:{plan.SQUID_PORT}",
        folder / "squid-bump-ca.pem",
        scratch=scratch,
    )
    try:
        services.wait_until_reachable(
            tcp=[(plan.SQUID, plan.SQUID_PORT)], dns=[], daemons=[daemon], seconds=READY_SECONDS
        )
    except netns.WorldError:
        interceptor.stop()
        raise
    return interceptor


def bundle(path: Path, parts: Sequence[Path]) -> Path:
    """One PEM bundle of several: a trust store with an inspection root added."""
    path.write_bytes(b"".join(p.read_bytes() for p in parts))
    return path
