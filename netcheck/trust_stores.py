"""The trust stores a chain is judged against: the one the worker itself uses decides.

On Windows the worker validates with Windows' own TLS stack, so the Windows certificate store
decides; on macOS the system keychains; on Linux the distribution's bundle or hashed
directory, and certifi only when there is none (the report says so). --ca-bundle overrides
them all, and certifi stays as evidence: which store accepts a forged chain is what tells
managed from unmanaged inspection.
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from netcheck.commands import Completed
from netcheck.models import TrustStore

# Extended key usage "server authentication" (RFC 5280): the purpose a TLS root must allow.
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
# ssl.enum_certificates(store) -> [(certificate bytes, "x509_asn" | "pkcs_7_asn", trust)],
# trust being True (every purpose) or a set of OIDs. Windows only; tests pass a fake.
EnumCertificates = Callable[[str], "list[tuple[bytes, str, Any]]"]
MACOS_KEYCHAINS = (
    "/Library/Keychains/System.keychain",
    "/System/Library/Keychains/SystemRootCertificates.keychain",
)
# Where distributions keep their bundle when OpenSSL's compiled-in default is elsewhere
# (Debian, RHEL/Fedora, SUSE, Alpine).
LINUX_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
)
LINUX_DIRECTORIES = ("/etc/ssl/certs", "/etc/pki/tls/certs")

_AUTO_UPDATE = (
    "Windows can also fetch a missing root from Windows Update while it validates (automatic "
    "root update) unless that is blocked or the host is offline, so a root missing here may "
    "still be accepted by the worker"
)


def windows_store(enum_certificates: EnumCertificates) -> TrustStore:
    """ROOT (only roots trusted for server authentication or for every purpose) and CA (the
    intermediates Windows builds chains with), as ssl.load_default_certs() reads them."""
    found: list[str] = []
    unreadable = []
    for name in ("ROOT", "CA"):
        try:
            entries = enum_certificates(name)
        except OSError as exc:  # a store this account may not read
            unreadable.append(f"{name}: {exc}")
            continue
        for data, encoding, trust in entries:
            if encoding == "x509_asn" and (trust is True or SERVER_AUTH in trust):
                found.append(ssl.DER_cert_to_PEM_cert(data))
    note = _AUTO_UPDATE
    if unreadable:
        note += "; not readable: " + "; ".join(unreadable)
    return TrustStore(
        "system",
        "Windows certificate store (ROOT for server authentication, CA)",
        note,
        "".join(dict.fromkeys(found)),
    )


def macos_store(run: Callable[[Sequence[str]], Completed | None]) -> TrustStore | None:
    """The system keychains' certificates (`security find-certificate -a -p`)."""
    done = run(["security", "find-certificate", "-a", "-p", *MACOS_KEYCHAINS])
    if done is None or done.returncode != 0 or "BEGIN CERTIFICATE" not in done.stdout:
        return None
    return TrustStore(
        "system",
        "macOS system keychains (" + ", ".join(MACOS_KEYCHAINS) + ")",
        "keychain trust settings (a root an administrator distrusts) are not applied",
        done.stdout,
    )


def linux_store(
    defaults: ssl.DefaultVerifyPaths, exists: Callable[[str], bool], is_dir: Callable[[str], bool]
) -> TrustStore | None:
    """The distribution's bundle OpenSSL reads, else its hashed directory."""
    files = (defaults.cafile, defaults.openssl_cafile, *LINUX_BUNDLES)
    bundle = next((p for p in files if p and exists(p)), None)
    if bundle is not None:
        return TrustStore("system", bundle)
    directories = (defaults.capath, defaults.openssl_capath, *LINUX_DIRECTORIES)
    directory = next((p for p in directories if p and is_dir(p)), None)
    return TrustStore("system", directory) if directory is not None else None


def trust_stores(
    ca_bundle: str | None,
    platform: str | None = None,
    enum_certificates: EnumCertificates | None = None,
    run: Callable[[Sequence[str]], Completed | None] | None = None,
) -> tuple[TrustStore, ...]:
    """The deciding store first (--ca-bundle, else the operating system's, else certifi), then
    the others as evidence."""
    import certifi

    system = system_store(platform or sys.platform, enum_certificates, run)
    certifi_store = TrustStore("certifi", certifi.where())
    if ca_bundle:
        return _present(TrustStore("--ca-bundle", ca_bundle), certifi_store, system)
    if system is None:
        fallback = TrustStore(
            "certifi",
            certifi.where(),
            "no trust store of the operating system was found: certifi decides",
        )
        return (fallback,)
    return _present(system, certifi_store)


def system_store(
    platform: str,
    enum_certificates: EnumCertificates | None = None,
    run: Callable[[Sequence[str]], Completed | None] | None = None,
) -> TrustStore | None:
    """The operating system's store, or None when this host has none netcheck can read."""
    if platform == "win32":
        return windows_store(enum_certificates or ssl.enum_certificates)  # type: ignore[attr-defined,unused-ignore]
    if platform == "darwin":
        from netcheck.commands import run_command

        return macos_store(run or run_command)
    return linux_store(
        ssl.get_default_verify_paths(),
        lambda p: Path(p).is_file(),
        lambda p: Path(p).is_dir(),
    )


def _present(*stores: TrustStore | None) -> tuple[TrustStore, ...]:
    return tuple(s for s in stores if s is not None)


def pem_blocks(text: str) -> Iterable[str]:
    """The certificates of a PEM text, one block each."""
    end = "-----END CERTIFICATE-----"
    for part in text.split(end):
        start = part.find("-----BEGIN CERTIFICATE-----")
        if start >= 0:
            yield part[start:] + end + "\n"
