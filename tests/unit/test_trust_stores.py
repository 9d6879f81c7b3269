"""The deciding trust store is the one the worker uses: the Windows certificate store (a fake
`ssl.enum_certificates`, in CPython's documented shape: (DER bytes, "x509_asn" | "pkcs_7_asn",
True | set of OIDs), https://docs.python.org/3/library/ssl.html#ssl.enum_certificates), the
macOS keychains (`security find-certificate -a -p` prints PEM), or the Linux bundle; certifi
only when there is none, and --ca-bundle over all."""

from __future__ import annotations

import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from netcheck import certs, check_run, trust_stores
from netcheck.commands import Completed

SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CODE_SIGNING = "1.3.6.1.5.5.7.3.3"


def der(ca: trustme.CA) -> bytes:
    return x509.load_pem_x509_certificate(ca.cert_pem.bytes()).public_bytes(Encoding.DER)


@pytest.fixture(scope="module")
def inspection_root() -> trustme.CA:
    """A TLS-inspection root that group policy pushed into every Windows store."""
    return trustme.CA(organization_name="Contoso Inspection Root")


def fake_enum(entries: dict[str, list[tuple[bytes, str, Any]]]):  # type: ignore[no-untyped-def]
    return lambda store: entries.get(store, [])


def chain(leaf: trustme.LeafCert) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate(b.bytes()) for b in leaf.cert_chain_pems]


def test_windows_store_decides_on_windows(
    monkeypatch: pytest.MonkeyPatch, inspection_root: trustme.CA
) -> None:
    """Fails on the code before issue 10: it read ssl.get_default_verify_paths(), which
    points nowhere on Windows, so certifi decided and the pushed root was never seen."""
    other = trustme.CA(organization_name="Code Signing Only")
    entries = {
        "ROOT": [
            (der(inspection_root), "x509_asn", {SERVER_AUTH}),
            (der(other), "x509_asn", {CODE_SIGNING}),  # not valid for server authentication
            (b"\x30\x82garbage", "pkcs_7_asn", True),  # not a certificate: skipped
        ],
        "CA": [],
    }
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ssl, "enum_certificates", fake_enum(entries), raising=False)
    stores = check_run.trust_stores(None)
    assert [s.name for s in stores] == ["system", "certifi"]
    assert stores[0].path.startswith("Windows certificate store")
    loaded = certs.load_store(stores[0])
    forged = chain(inspection_root.issue_cert("x.azure-automation.net"))
    assert certs.verify(forged, loaded).trusted  # so browsers work, but the agent refuses it
    code_signed = chain(other.issue_cert("x.azure-automation.net"))
    assert not certs.verify(code_signed, loaded).trusted
    assert not certs.verify(forged, certs.load_store(stores[1])).trusted  # certifi: no


def test_a_root_missing_from_the_windows_store_is_untrusted_even_if_certifi_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ssl, "enum_certificates", fake_enum({}), raising=False)
    (system, certifi_store) = check_run.trust_stores(None)
    assert system.name == "system" and system.pem == ""
    assert "automatic root update" in (system.note or "")  # missing here may still validate
    assert certifi_store.name == "certifi"


def test_intermediates_from_the_ca_store_complete_a_chain(inspection_root: trustme.CA) -> None:
    intermediate = inspection_root.create_child_ca()
    leaf = intermediate.issue_cert("x.azure-automation.net")
    presented = chain(leaf)[:1]  # the server forgets its intermediate
    store = trust_stores.windows_store(
        fake_enum(
            {
                "ROOT": [(der(inspection_root), "x509_asn", True)],
                "CA": [(der(intermediate), "x509_asn", True)],
            }
        )
    )
    assert certs.verify(presented, certs.load_store(store)).trusted


def test_an_unreadable_windows_store_is_noted(inspection_root: trustme.CA) -> None:
    def enum(name: str) -> list[tuple[bytes, str, Any]]:
        if name == "CA":
            raise PermissionError(5, "Access is denied")
        return [(der(inspection_root), "x509_asn", True)]

    store = trust_stores.windows_store(enum)
    assert "CA: [Errno 5] Access is denied" in (store.note or "")


def test_macos_keychains(inspection_root: trustme.CA) -> None:
    asked: list[Sequence[str]] = []

    def run(argv: Sequence[str]) -> Completed:
        asked.append(argv)
        return Completed(0, inspection_root.cert_pem.bytes().decode())

    stores = trust_stores.trust_stores(None, platform="darwin", run=run)
    assert asked == [["security", "find-certificate", "-a", "-p", *trust_stores.MACOS_KEYCHAINS]]
    assert stores[0].name == "system" and "keychains" in stores[0].path
    forged = chain(inspection_root.issue_cert("x.azure-automation.net"))
    assert certs.verify(forged, certs.load_store(stores[0])).trusted


def test_linux_uses_the_distribution_bundle_then_the_hashed_directory() -> None:
    paths = ssl.DefaultVerifyPaths(
        cafile=None,
        capath=None,
        openssl_cafile_env="SSL_CERT_FILE",
        openssl_cafile="/usr/lib/ssl/cert.pem",
        openssl_capath_env="SSL_CERT_DIR",
        openssl_capath="/usr/lib/ssl/certs",
    )
    bundle = trust_stores.linux_store(
        paths, lambda p: p == "/etc/pki/tls/certs/ca-bundle.crt", lambda p: True
    )
    assert bundle is not None and bundle.path == "/etc/pki/tls/certs/ca-bundle.crt"
    directory = trust_stores.linux_store(
        paths, lambda p: False, lambda p: p == "/usr/lib/ssl/certs"
    )
    assert directory is not None and directory.path == "/usr/lib/ssl/certs"
    assert trust_stores.linux_store(paths, lambda p: False, lambda p: False) is None


def test_certifi_decides_only_when_there_is_no_system_store_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(trust_stores, "linux_store", lambda *a: None)
    (only,) = trust_stores.trust_stores(None, platform="linux")
    assert only.name == "certifi" and "no trust store of the operating system" in (only.note or "")


def test_ca_bundle_overrides_and_the_others_stay_as_evidence(tmp_path: Path) -> None:
    stores = trust_stores.trust_stores(str(tmp_path / "corp.pem"), platform="linux")
    assert [s.name for s in stores][:2] == ["--ca-bundle", "certifi"]


def test_the_store_certificates_never_reach_the_json_report(inspection_root: trustme.CA) -> None:
    from netcheck.report.json_format import plain

    store = trust_stores.windows_store(
        fake_enum({"ROOT": [(der(inspection_root), "x509_asn", True)]})
    )
    assert set(plain(store)) == {"name", "path", "note"}
