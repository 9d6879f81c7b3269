"""Mints the certificate authorities and leaves of the test world with `cryptography`.

The "Microsoft" and "DigiCert" authorities here are impostors with the real names: the test
catalogues list their (test) thumbprints as Microsoft's, so chains under them count as
genuine, while chains under the same names with other keys count as forgeries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
DAY = dt.timedelta(days=1)

# One RSA key for every leaf: key generation is the slow part of minting, and sharing a leaf
# key changes nothing a client can observe about a chain.
_LEAF_KEY: rsa.RSAPrivateKey | None = None


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def leaf_key() -> rsa.RSAPrivateKey:
    global _LEAF_KEY
    if _LEAF_KEY is None:
        _LEAF_KEY = rsa_key()
    return _LEAF_KEY


def p384_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


def name(common_name: str, organization: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "US")]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(parts)


@dataclass(frozen=True)
class Issued:
    """A certificate with its key and the chain above it (issuer first, root last)."""

    cert: x509.Certificate
    key: PrivateKey
    parents: tuple[Issued, ...] = ()

    @property
    def common_name(self) -> str:
        value = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        return str(value)

    @property
    def sha1(self) -> str:
        return self.cert.fingerprint(hashes.SHA1()).hex().upper()

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def issue_ca(
        self, common_name: str, organization: str | None = None, key: PrivateKey | None = None
    ) -> Issued:
        return _issue(name(common_name, organization), key or rsa_key(), self, ca=True)

    def issue_leaf(
        self,
        dns_names: Sequence[str],
        *,
        key: PrivateKey | None = None,
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> Issued:
        return _issue(
            name(dns_names[0]),
            key or leaf_key(),
            self,
            ca=False,
            dns_names=dns_names,
            not_before=not_before,
            not_after=not_after,
        )


def _hash_for(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384:
    return hashes.SHA384() if isinstance(key, ec.EllipticCurvePrivateKey) else hashes.SHA256()


def _issue(
    subject: x509.Name,
    key: PrivateKey,
    issuer: Issued | None,
    *,
    ca: bool,
    dns_names: Sequence[str] = (),
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> Issued:
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + (3650 if ca else 90) * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    cert = builder.sign(signer_key, _hash_for(signer_key))
    parents = (issuer, *issuer.parents) if issuer else ()
    return Issued(cert=cert, key=key, parents=parents)


def root(
    common_name: str, organization: str | None = None, key: PrivateKey | None = None
) -> Issued:
    return _issue(name(common_name, organization), key or rsa_key(), None, ca=True)


def self_signed_leaf(dns_names: Sequence[str]) -> Issued:
    """A leaf that signs itself, as some appliances present when they intercept."""
    subject = name(dns_names[0])
    key = leaf_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + 90 * DAY)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return Issued(cert=cert, key=key)


@dataclass(frozen=True)
class Authorities:
    """Every CA of the world; `microsoft` are the ones the test catalogues call Microsoft's."""

    digicert_g2: Issued
    digicert_g3: Issued
    microsoft_rsa_root: Issued
    azure_rsa: Issued  # Microsoft Azure RSA TLS Issuing CA 03, under DigiCert Global Root G2
    azure_ecc: Issued  # Microsoft Azure ECC TLS Issuing CA 03 (P-384), under G3
    azure_rsa_ms: Issued  # Microsoft Azure RSA TLS Issuing CA 04, under Microsoft RSA Root 2017
    # An issuing CA newer than every catalogue, under DigiCert Global Root G2: not in `microsoft`
    azure_new: Issued
    zscaler_root: Issued
    zscaler_intermediate: Issued
    contoso: Issued  # an inspection CA with a name no signature list knows
    forged_root: Issued  # "DigiCert Global Root G2", other key
    forged_azure_rsa: Issued  # "Microsoft Azure RSA TLS Issuing CA 03", other key
    unrelated_root: Issued  # a root that signed none of the above: for TLS_UNTRUSTED

    @property
    def microsoft(self) -> tuple[Issued, ...]:
        return (
            self.digicert_g2,
            self.digicert_g3,
            self.microsoft_rsa_root,
            self.azure_rsa,
            self.azure_ecc,
            self.azure_rsa_ms,
        )

    @property
    def public_roots(self) -> tuple[Issued, ...]:
        """The roots a stock trust store would hold: the world's stand-in for certifi."""
        return (self.digicert_g2, self.digicert_g3, self.microsoft_rsa_root)


def mint_authorities() -> Authorities:
    g2 = root("DigiCert Global Root G2", "DigiCert Inc")
    g3 = root("DigiCert Global Root G3", "DigiCert Inc", key=p384_key())
    ms_root = root("Microsoft RSA Root Certificate Authority 2017", "Microsoft Corporation")
    zscaler = root("Zscaler Root CA", "Zscaler Inc.")
    forged = root("DigiCert Global Root G2", "DigiCert Inc")
    return Authorities(
        digicert_g2=g2,
        digicert_g3=g3,
        microsoft_rsa_root=ms_root,
        azure_rsa=g2.issue_ca("Microsoft Azure RSA TLS Issuing CA 03", "Microsoft Corporation"),
        azure_ecc=g3.issue_ca(
            "Microsoft Azure ECC TLS Issuing CA 03", "Microsoft Corporation", key=p384_key()
        ),
        azure_rsa_ms=ms_root.issue_ca(
            "Microsoft Azure RSA TLS Issuing CA 04", "Microsoft Corporation"
        ),
        azure_new=g2.issue_ca("Microsoft TLS RSA Issuing CA 99", "Microsoft Corporation"),
        zscaler_root=zscaler,
        zscaler_intermediate=zscaler.issue_ca(
            "Zscaler Intermediate Root CA (zscaler.net)", "Zscaler Inc."
        ),
        contoso=root("Contoso Inspection CA", "Contoso Ltd"),
        forged_root=forged,
        forged_azure_rsa=forged.issue_ca(
            "Microsoft Azure RSA TLS Issuing CA 03", "Microsoft Corporation"
        ),
        unrelated_root=root("Unrelated Test Root CA", "Nobody"),
    )


def write_bundle(path: Path, certs: Sequence[Issued]) -> Path:
    path.write_bytes(b"".join(c.pem() for c in certs))
    return path


def write_served_chain(
    folder: Path, label: str, leaf: Issued, include_root: bool = False
) -> tuple[Path, Path]:
    """Writes what a server presents (leaf + intermediates, root only when asked) and its key."""
    chain = [leaf, *leaf.parents]
    if not include_root and len(chain) > 1:
        chain = chain[:-1]
    cert_path = write_bundle(folder / f"{label}.chain.pem", chain)
    key_path = folder / f"{label}.key.pem"
    key_path.write_bytes(leaf.key_pem())
    return cert_path, key_path
