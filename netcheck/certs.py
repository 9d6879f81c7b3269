"""Certificate facts and checks that need no network: description, trust, names, validity."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from OpenSSL import crypto

from netcheck.errors import UsageError
from netcheck.models import CertificateInfo, TrustStore, TrustVerdict


def describe(cert: x509.Certificate) -> CertificateInfo:
    """The facts a person compares when judging a certificate."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        dns_names = ()
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        subject_cn=_common_name(cert.subject),
        issuer_cn=_common_name(cert.issuer),
        sha1=cert.fingerprint(hashes.SHA1()).hex().upper(),
        sha256=cert.fingerprint(hashes.SHA256()).hex().upper(),
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        key_type=_key_type(cert),
        dns_names=dns_names,
        self_signed=cert.subject == cert.issuer,
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )


@functools.lru_cache(maxsize=1024)
def describe_der(der: bytes) -> CertificateInfo:
    """`describe` of a DER certificate, parsed once: the same intermediates and roots come
    back from hundreds of targets in one run (and on every scrape of the exporter)."""
    return describe(x509.load_der_x509_certificate(der))


def _common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def _key_type(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA {key.curve.name}"
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return type(key).__name__.replace("PublicKey", "")
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size}"
    return type(key).__name__


# ---------------------------------------------------------------- trust


@dataclass(frozen=True)
class LoadedStore:
    """A trust store read once per run and shared by every target's verification."""

    store: TrustStore
    x509_store: crypto.X509Store


# OpenSSL's X509_V_FLAG_NO_CHECK_TIME; pyOpenSSL does not name it.
_NO_CHECK_TIME = 0x200000


def load_store(store: TrustStore) -> LoadedStore:
    """Read a PEM bundle, a hashed directory, or the certificates an OS store handed over; an
    unreadable bundle, or one without certificates, is a usage error.

    A store read before and unchanged since (same file, size and modification time) is not
    parsed again: the exporter probes with the same bundles on every scrape, and parsing
    certifi's costs more than the rest of a one-target probe's CPU.
    """
    if store.pem is not None:
        # Not cached: `pem` takes no part in a TrustStore's equality, and an OS store is read
        # once per run anyway.
        return _build_store(store)
    if store.name == "system" and Path(store.path).is_dir():
        return _parse_store(store)  # a hashed directory: OpenSSL reads it per lookup
    try:
        with open(store.path, "rb") as handle:
            seen = os.fstat(handle.fileno())
    except OSError as exc:
        raise UsageError(f"cannot read CA bundle {store.path}: {exc.strerror}") from None
    return _parse_store(store, seen.st_dev, seen.st_ino, seen.st_size, seen.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _parse_store(store: TrustStore, *identity: int) -> LoadedStore:
    """`identity`: a bundle file's device, inode, size and modification time, the cache's key."""
    return _build_store(store)


def _build_store(store: TrustStore) -> LoadedStore:
    x509_store = crypto.X509Store()
    # Validity is judged on its own (TLS_EXPIRED) so that an expired chain is not mistaken
    # for an untrusted one.
    x509_store.set_flags(_NO_CHECK_TIME)
    if store.pem is not None:
        from netcheck.trust_stores import pem_blocks

        for block in pem_blocks(store.pem):
            try:
                x509_store.add_cert(crypto.load_certificate(crypto.FILETYPE_PEM, block.encode()))
            except crypto.Error:
                continue  # one certificate the OS store holds but OpenSSL cannot read
    elif store.name == "system" and Path(store.path).is_dir():  # a distribution's hashed folder
        x509_store.load_locations(None, store.path)
    else:
        try:
            x509_store.load_locations(store.path)
        except crypto.Error:
            raise UsageError(
                f"CA bundle {store.path} holds no PEM certificates (expected "
                "'-----BEGIN CERTIFICATE-----' blocks)"
            ) from None
    return LoadedStore(store, x509_store)


def verify(chain: list[x509.Certificate], loaded: LoadedStore) -> TrustVerdict:
    """Whether the store accepts the presented chain (leaf first), ignoring time and name."""
    return verify_x509([crypto.X509.from_cryptography(c) for c in chain], loaded)


def verify_x509(chain: Sequence[crypto.X509], loaded: LoadedStore) -> TrustVerdict:
    """`verify` of the chain as the handshake captured it: no conversion per store."""
    context = crypto.X509StoreContext(loaded.x509_store, chain[0], chain=list(chain[1:]))
    try:
        verified = context.get_verified_chain()
    except crypto.X509StoreContextError as exc:
        return TrustVerdict(loaded.store.name, False, str(exc))
    return TrustVerdict(
        loaded.store.name,
        True,
        None,
        tuple(c.digest("sha1").decode("ascii").replace(":", "") for c in verified),
        _subject_text(crypto.dump_certificate(crypto.FILETYPE_ASN1, verified[-1])),
    )


@functools.lru_cache(maxsize=256)
def _subject_text(der: bytes) -> str:
    """A certificate's subject as RFC 4514 text; a run's chains end in a handful of roots."""
    return x509.load_der_x509_certificate(der).subject.rfc4514_string()


def signed_by(child: CertificateInfo, parent: CertificateInfo) -> bool | None:
    """Whether `parent`'s key really signed `child` (a forged leaf can name a real CA);
    None when either PEM cannot be read (a hand-edited saved report)."""
    try:
        issued = x509.load_pem_x509_certificate(child.pem.encode("ascii"))
        issuer = x509.load_pem_x509_certificate(parent.pem.encode("ascii"))
    except ValueError:
        return None
    try:
        issued.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


# ---------------------------------------------------------------- names and time


def hostname_matches(host: str, dns_names: tuple[str, ...]) -> bool:
    """RFC 6125 matching of a host against subjectAltName DNS names (one-label wildcards)."""
    wanted = host.rstrip(".").lower()
    try:
        ipaddress.ip_address(wanted)
        return False  # addresses need IP SANs, which Azure endpoints never use
    except ValueError:
        pass
    for name in dns_names:
        pattern = name.rstrip(".").lower()
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted:
            first, rest = wanted.split(".", 1)
            if first and rest == pattern[2:]:
                return True
    return False


def validity_problem(info: CertificateInfo, at: dt.datetime) -> str | None:
    """'expired' or 'not yet valid' when `at` is outside the certificate's validity."""
    if at < dt.datetime.fromisoformat(info.not_before):
        return "not yet valid"
    if at > dt.datetime.fromisoformat(info.not_after):
        return "expired"
    return None
