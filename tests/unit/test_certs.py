"""Certificate facts, names, validity and trust, with certificates minted in memory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import trustme
from cryptography import x509

from netcheck import certs
from netcheck.errors import UsageError
from netcheck.models import TrustStore

NOW = dt.datetime.now(dt.timezone.utc)
DAY = dt.timedelta(days=1)


def chain_of(leaf: trustme.LeafCert) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate(blob.bytes()) for blob in leaf.cert_chain_pems]


def cert_of(ca: trustme.CA) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ca.cert_pem.bytes())


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Example Trust Services")


def load(ca: trustme.CA, folder: Path, name: str = "roots") -> certs.LoadedStore:
    path = folder / f"{name}.pem"
    ca.cert_pem.write_to_path(str(path))
    return certs.load_store(TrustStore(name, str(path)))


# ---------------------------------------------------------------- describe


def test_describe_a_leaf(ca: trustme.CA) -> None:
    leaf = ca.issue_cert(
        "agent.example.net", "*.jrds.example.net", "10.0.0.1", common_name="agent.example.net"
    )
    info = certs.describe(chain_of(leaf)[0])
    assert info.subject_cn == "agent.example.net"
    assert info.issuer_cn is None  # trustme's CAs carry no common name
    assert "O=Example Trust Services" in info.issuer
    assert info.dns_names == ("agent.example.net", "*.jrds.example.net")  # no IP SANs
    assert not info.self_signed
    assert len(info.sha1) == 40 and info.sha1 == info.sha1.upper()
    assert len(info.sha256) == 64
    assert info.key_type == "ECDSA secp256r1"
    assert info.pem.startswith("-----BEGIN CERTIFICATE-----")
    assert dt.datetime.fromisoformat(info.not_before).tzinfo is not None
    assert dt.datetime.fromisoformat(info.not_before) < dt.datetime.fromisoformat(info.not_after)
    assert int(info.serial, 16) == chain_of(leaf)[0].serial_number


def test_describe_a_root_and_an_rsa_key() -> None:
    root = trustme.CA(key_type=trustme.KeyType.RSA)
    info = certs.describe(cert_of(root))
    assert info.self_signed
    assert info.subject == info.issuer
    assert info.key_type == "RSA 2048"
    assert info.dns_names == ()


def test_thumbprint_matches_what_openssl_tools_show(ca: trustme.CA) -> None:
    from cryptography.hazmat.primitives import hashes

    cert = cert_of(ca)
    assert certs.describe(cert).sha1 == cert.fingerprint(hashes.SHA1()).hex().upper()


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("host", "names", "matches"),
    [
        ("agent.example.net", ("agent.example.net",), True),
        ("Agent.Example.NET", ("agent.example.net",), True),
        ("agent.example.net.", ("agent.example.net",), True),
        ("agent.example.net", ("AGENT.example.net.",), True),
        ("agent.example.net", ("other.example.net",), False),
        ("agent.example.net", (), False),
        ("x.agentsvc.example.net", ("*.agentsvc.example.net",), True),
        ("a.b.agentsvc.example.net", ("*.agentsvc.example.net",), False),  # one label only
        ("agentsvc.example.net", ("*.agentsvc.example.net",), False),  # not the bare domain
        ("xagentsvc.example.net", ("*.agentsvc.example.net",), False),
        ("x.agentsvc.example.net", ("other.example.net", "*.agentsvc.example.net"), True),
        ("10.0.0.1", ("10.0.0.1",), False),  # addresses need IP SANs
        ("::1", ("::1",), False),
    ],
)
def test_hostname_matches(host: str, names: tuple[str, ...], matches: bool) -> None:
    assert certs.hostname_matches(host, names) is matches


# ---------------------------------------------------------------- validity


def test_validity_problem(ca: trustme.CA) -> None:
    leaf = ca.issue_cert("a.example", not_before=NOW - DAY, not_after=NOW + DAY)
    info = certs.describe(chain_of(leaf)[0])
    assert certs.validity_problem(info, NOW) is None
    assert certs.validity_problem(info, NOW + 2 * DAY) == "expired"
    assert certs.validity_problem(info, NOW - 2 * DAY) == "not yet valid"


def test_validity_problem_of_an_expired_certificate(ca: trustme.CA) -> None:
    leaf = ca.issue_cert("a.example", not_before=NOW - 10 * DAY, not_after=NOW - DAY)
    assert certs.validity_problem(certs.describe(chain_of(leaf)[0]), NOW) == "expired"


# ---------------------------------------------------------------- trust stores


def test_missing_bundle_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.pem"
    with pytest.raises(UsageError) as caught:
        certs.load_store(TrustStore("--ca-bundle", str(path)))
    assert str(caught.value) == f"cannot read CA bundle {path}: No such file or directory"


def test_directory_as_bundle_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read CA bundle"):
        certs.load_store(TrustStore("--ca-bundle", str(tmp_path)))


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a certificate\n",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_bundle_without_certificates_is_a_usage_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.pem"
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        certs.load_store(TrustStore("--ca-bundle", str(path)))
    message = str(caught.value)
    assert message.startswith(f"CA bundle {path} holds no PEM certificates")
    assert "\n" not in message


def test_trusted_chain(ca: trustme.CA, tmp_path: Path) -> None:
    store = load(ca, tmp_path)
    verdict = certs.verify(chain_of(ca.issue_cert("a.example")), store)
    assert verdict.trusted and verdict.error is None
    assert verdict.store == "roots"


def test_untrusted_chain(ca: trustme.CA, tmp_path: Path) -> None:
    other = trustme.CA(organization_name="Corp Inspection")
    verdict = certs.verify(chain_of(other.issue_cert("a.example")), load(ca, tmp_path))
    assert not verdict.trusted
    assert verdict.error


def test_chain_with_intermediate(ca: trustme.CA, tmp_path: Path) -> None:
    intermediate = ca.create_child_ca()
    chain = chain_of(intermediate.issue_cert("a.example"))
    assert len(chain) == 2
    store = load(ca, tmp_path)
    assert certs.verify(chain, store).trusted
    # without the intermediate the leaf cannot be tied to the root
    assert not certs.verify(chain[:1], store).trusted


def test_time_is_not_judged_by_verify(ca: trustme.CA, tmp_path: Path) -> None:
    expired = ca.issue_cert("a.example", not_before=NOW - 10 * DAY, not_after=NOW - DAY)
    assert certs.verify(chain_of(expired), load(ca, tmp_path)).trusted


def test_self_signed_leaf_is_untrusted(ca: trustme.CA, tmp_path: Path) -> None:
    assert not certs.verify([cert_of(trustme.CA())], load(ca, tmp_path)).trusted


def test_bundle_with_several_roots(ca: trustme.CA, tmp_path: Path) -> None:
    other = trustme.CA()
    path = tmp_path / "bundle.pem"
    path.write_bytes(b"# comment lines are fine\n" + ca.cert_pem.bytes() + other.cert_pem.bytes())
    store = certs.load_store(TrustStore("--ca-bundle", str(path)))
    assert certs.verify(chain_of(other.issue_cert("b.example")), store).trusted
    assert certs.verify(chain_of(ca.issue_cert("c.example")), store).trusted
