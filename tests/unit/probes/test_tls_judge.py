"""Judging a captured chain with the run's caches (certificates parsed once per DER, verdicts
once per chain): the same results as without them, and no result of one chain or store given
for another. Certificates minted in memory; no network."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import crypto

from netcheck import certs
from netcheck.models import Outcome, TlsObservation, TrustStore
from netcheck.probes.tls import Verdicts, judge


@pytest.fixture(scope="module")
def root() -> trustme.CA:
    return trustme.CA(organization_name="Judge Root")


def captured(leaf: trustme.LeafCert) -> list[crypto.X509]:
    """A chain as the handshake hands it over (pyOpenSSL objects, leaf first)."""
    return [crypto.load_certificate(crypto.FILETYPE_PEM, b.bytes()) for b in leaf.cert_chain_pems]


def store_of(ca: trustme.CA, folder: Path, name: str) -> certs.LoadedStore:
    path = folder / f"{name}.pem"
    ca.cert_pem.write_to_path(str(path))
    return certs.load_store(TrustStore(name, str(path)))


def handshake() -> TlsObservation:
    return TlsObservation(Outcome.OK, version="TLSv1.3", cipher="TLS_AES_128_GCM_SHA256")


def test_describe_der_is_describe(root: trustme.CA) -> None:
    leaf = x509.load_pem_x509_certificate(root.issue_cert("a.example").cert_chain_pems[0].bytes())
    der = leaf.public_bytes(Encoding.DER)
    assert certs.describe_der(der) == certs.describe(leaf)
    assert certs.describe_der(der) is certs.describe_der(der)  # parsed once


def test_describe_der_keeps_certificates_apart(root: trustme.CA) -> None:
    a, b = (
        x509.load_pem_x509_certificate(root.issue_cert(h).cert_chain_pems[0].bytes())
        for h in ("a.example", "b.example")
    )
    der = Encoding.DER
    assert certs.describe_der(a.public_bytes(der)).dns_names == ("a.example",)
    assert certs.describe_der(b.public_bytes(der)).dns_names == ("b.example",)


def test_verify_x509_is_verify(root: trustme.CA, tmp_path: Path) -> None:
    intermediate = root.create_child_ca()
    chain = captured(intermediate.issue_cert("a.example"))
    modern = [c.to_cryptography() for c in chain]
    for store in (store_of(root, tmp_path, "roots"), store_of(trustme.CA(), tmp_path, "other")):
        assert certs.verify_x509(chain, store) == certs.verify(modern, store)
    verdict = certs.verify_x509(chain, store_of(root, tmp_path, "roots"))
    assert verdict.trusted
    # the path to the root, by SHA-1 thumbprint as cryptography computes it, and the root's name
    root_cert = x509.load_pem_x509_certificate(root.cert_pem.bytes())
    assert verdict.path == (
        *(c.fingerprint(hashes.SHA1()).hex().upper() for c in modern),
        root_cert.fingerprint(hashes.SHA1()).hex().upper(),
    )
    assert verdict.anchor == root_cert.subject.rfc4514_string()


def test_judge_with_the_cache_is_judge_without_it(root: trustme.CA, tmp_path: Path) -> None:
    stores = [store_of(root, tmp_path, "roots"), store_of(trustme.CA(), tmp_path, "other")]
    chain = captured(root.issue_cert("a.example"))
    verdicts: Verdicts = {}
    first = judge(handshake(), chain, "a.example", stores, verdicts)
    again = judge(handshake(), chain, "a.example", stores, verdicts)
    assert first == again == judge(handshake(), chain, "a.example", stores)
    assert [v.trusted for v in first.trust] == [True, False]
    assert len(verdicts) == 1


def test_judge_keeps_chains_apart(root: trustme.CA, tmp_path: Path) -> None:
    """A forged chain judged after a genuine one gets its own verdicts, and the host name is
    matched per target even when two hosts present the very same chain."""
    stores = [store_of(root, tmp_path, "roots")]
    verdicts: Verdicts = {}
    genuine = captured(root.issue_cert("a.example", "b.example"))
    forged = captured(trustme.CA(organization_name="Judge Root").issue_cert("a.example"))
    assert judge(handshake(), genuine, "a.example", stores, verdicts).trust[0].trusted
    judged = judge(handshake(), forged, "a.example", stores, verdicts)
    assert not judged.trust[0].trusted
    assert (
        judged.chain[0].sha256 != judge(handshake(), genuine, "a.example", stores).chain[0].sha256
    )
    assert judge(handshake(), genuine, "b.example", stores, verdicts).hostname_matches
    assert judge(handshake(), genuine, "c.example", stores, verdicts).hostname_matches is False
    assert len(verdicts) == 2


def test_judge_of_no_chain(tmp_path: Path, root: trustme.CA) -> None:
    judged = judge(handshake(), [], "a.example", [store_of(root, tmp_path, "roots")], {})
    assert judged.chain == () and judged.trust == () and judged.hostname_matches is None
