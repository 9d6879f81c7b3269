"""Forgeries the names alone cannot reveal: a leaf that names and presents Microsoft's real
issuing CA but was signed by another key, and stale extra certificates a server also sends."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from netcheck import certs
from netcheck.findings import evaluate
from netcheck.findings.base import RuleContext
from netcheck.models import CertificateInfo, Status

from ..builders import HOST, NOW, observed, target, tls_ok

DAY = dt.timedelta(days=1)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    issuer: str,
    key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    not_after: dt.datetime = NOW + 300 * DAY,
) -> CertificateInfo:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - 30 * DAY)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False
        )
    return certs.describe(builder.sign(signer, hashes.SHA256()))


ROOT_KEY = ec.generate_private_key(ec.SECP256R1())
ISSUING_KEY = ec.generate_private_key(ec.SECP256R1())
FORGER_KEY = ec.generate_private_key(ec.SECP256R1())
LEAF_KEY = ec.generate_private_key(ec.SECP256R1())
ISSUING = _cert(
    "Microsoft Azure ECC TLS Issuing CA 03",
    "DigiCert Global Root G3",
    ISSUING_KEY,
    ROOT_KEY,
    ca=True,
)
CTX = RuleContext(
    microsoft_names=frozenset({"microsoft azure ecc tls issuing ca 03", "digicert global root g3"}),
    microsoft_thumbprints=frozenset({ISSUING.sha1}),
    products=(),
)


def _judge(chain: tuple[CertificateInfo, ...], *, trusted: bool) -> tuple[Status, list[str]]:
    result = evaluate(target(), observed(tls=tls_ok(chain, trusted=trusted)), CTX)
    return result.status, [f.code for f in result.findings]


def test_signed_by_tells_the_real_signer_from_a_forger() -> None:
    genuine = _cert(HOST, ISSUING.subject_cn or "", LEAF_KEY, ISSUING_KEY, ca=False)
    forged = _cert(HOST, ISSUING.subject_cn or "", LEAF_KEY, FORGER_KEY, ca=False)
    assert certs.signed_by(genuine, ISSUING) is True
    assert certs.signed_by(forged, ISSUING) is False


def test_genuine_leaf_under_the_published_ca_passes_or_is_only_untrusted() -> None:
    genuine = _cert(HOST, ISSUING.subject_cn or "", LEAF_KEY, ISSUING_KEY, ca=False)
    assert _judge((genuine, ISSUING), trusted=True) == (Status.PASS, [])
    assert _judge((genuine, ISSUING), trusted=False) == (Status.FAIL, ["TLS_UNTRUSTED"])


def test_forged_leaf_presenting_microsofts_real_ca_is_interception_not_an_old_store() -> None:
    forged = _cert(HOST, ISSUING.subject_cn or "", LEAF_KEY, FORGER_KEY, ca=False)
    status, codes = _judge((forged, ISSUING), trusted=False)
    assert (status, codes) == (Status.FAIL, ["TLS_INTERCEPTED"])


def test_an_expired_extra_certificate_off_the_path_is_not_expiry() -> None:
    genuine = _cert(HOST, ISSUING.subject_cn or "", LEAF_KEY, ISSUING_KEY, ca=False)
    stale_cross = _cert(
        "Some Old Cross Sign", "Another Root", ROOT_KEY, ROOT_KEY, ca=True, not_after=NOW - 10 * DAY
    )
    assert _judge((genuine, ISSUING, stale_cross), trusted=True) == (Status.PASS, [])
    expired_issuing = _cert(
        ISSUING.subject_cn or "",
        "DigiCert Global Root G3",
        ISSUING_KEY,
        ROOT_KEY,
        ca=True,
        not_after=NOW - 10 * DAY,
    )
    ctx_codes = evaluate(
        target(),
        observed(tls=tls_ok((genuine, expired_issuing), trusted=True)),
        RuleContext(CTX.microsoft_names, frozenset({expired_issuing.sha1}), ()),
    )
    assert [f.code for f in ctx_codes.findings] == ["TLS_EXPIRED"]
