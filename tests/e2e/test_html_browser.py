"""The HTML reports in a real browser (headless Chromium, in a namespace with loopback only):
they render, one row per host; they request nothing but themselves; a `<script>` in a host
name or a certificate subject stays text and never runs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from netcheck.findings import evaluate
from netcheck.fleet.merge import merge
from netcheck.fleet.read import host_report
from netcheck.fleet.render.html import render_fleet
from netcheck.formats import REPORT_RENDERERS as RENDERERS
from netcheck.formats import Format
from netcheck.models import Origin, OsInfo
from tests.unit.builders import CTX, GENUINE_CHAIN, cert, observed, target, tls_ok
from tests.unit.report.test_renderers import build_report
from tests.world import browser
from tests.world.browser import Browser

pytestmark = pytest.mark.world

DATA = Path(__file__).resolve().parents[1] / "unit" / "data" / "fleet"
PAYLOAD = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
# A certificate name cannot hold '=' unescaped: this one would open a dialog if it ran.
CERT_PAYLOAD = "<script>alert(document.domain)</script>"


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    missing = browser.missing_prerequisites()
    if missing:
        pytest.skip(missing)
    with browser.running_browser(tmp_path_factory.mktemp("browser")) as running:
        yield running


def fleet_page(folder: Path) -> Path:
    """The recorded fleet, plus a host whose name and certificate issuer carry the payload."""
    hosts = [host_report(json.loads(p.read_text()), str(p)) for p in sorted(DATA.glob("*.json"))]
    hostile: dict[str, Any] = json.loads((DATA / "hrw-inspected.json").read_text())
    hostile["origin"]["hostname"] = PAYLOAD
    hostile["targets"][0]["findings"][0]["evidence"]["issuer"] = f"CN={PAYLOAD}"
    hosts.append(host_report(hostile, "hostile.json"))
    fleet = merge(
        hosts, ["hrw-offline"], generated_at="2026-01-01T00:00:00+00:00", tool_version="0"
    )
    page = folder / "fleet.html"
    page.write_text(render_fleet(fleet), encoding="utf-8")
    return page


def host_page(folder: Path) -> Path:
    """A check whose intercepting proxy forged a certificate with the payload as subject."""
    # as the probe records a real certificate's names (RFC 4514, '<' and '>' escaped)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CERT_PAYLOAD)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CERT_PAYLOAD + " CA")])
    forged = cert(subject.rfc4514_string(), issuer.rfc4514_string())
    result = evaluate(target(), observed(tls=tls_ok((forged, *GENUINE_CHAIN[1:]))), CTX)
    assert [f.code for f in result.findings] == ["TLS_INTERCEPTED"]
    report = dataclasses.replace(
        build_report(),
        results=(result,),
        origin=Origin(PAYLOAD, None, OsInfo("Linux", "6.1", PAYLOAD), ("192.0.2.7",), "0.1.0"),
    )
    page = folder / "host.html"
    page.write_text(RENDERERS.render(report, Format.HTML), encoding="utf-8")
    return page


def assert_inert(chromium: Browser, page: Path) -> Any:
    """Loads the page: only the page itself is requested, nothing ran, the payload is text."""
    visit, tab = chromium.visit(page)
    assert visit.requests == [page.as_uri()], visit
    assert visit.dialogs == [], visit
    assert tab.evaluate("document.scripts.length") == 0
    assert tab.evaluate("document.title").startswith("netcheck ")  # a script would set 'pwned'
    assert tab.evaluate("document.querySelectorAll('img').length") == 0
    assert PAYLOAD in tab.evaluate("document.body.textContent")
    # the style sheet is the one thing the Content-Security-Policy allows, by its hash
    fail_badge = tab.evaluate(
        "getComputedStyle(document.querySelector('.badge.s-fail')).backgroundColor"
    )
    assert fail_badge == "rgb(255, 235, 233)", visit.messages
    return tab


def test_the_fleet_page_renders_one_row_per_host_and_runs_nothing(
    chromium: Browser, tmp_path: Path
) -> None:
    tab = assert_inert(chromium, fleet_page(tmp_path))
    rows = tab.evaluate(
        "[...document.querySelectorAll('tr.host')].map(r => "
        "[r.querySelector('summary').textContent, r.dataset.status])"
    )
    assert sorted(rows) == sorted(
        [
            ["hrw-firewalled", "fail"],
            ["hrw-healthy", "pass"],
            ["hrw-inspected", "fail"],
            [PAYLOAD, "fail"],
            ["hrw-offline", "nodata"],
        ]
    )
    # a failing cell says FAIL in words and opens to the finding and its evidence
    opened = tab.evaluate(
        "(() => { const d = document.querySelector('tr.host td.s-fail details');"
        " d.open = true; return [d.querySelector('summary').textContent, d.innerText]; })()"
    )
    assert opened[0] == "FAIL"
    assert "TLS_INTERCEPTED" in opened[1] or "TCP_TIMEOUT" in opened[1]
    assert "evidence" in opened[1]


def test_the_single_host_page_renders_bars_chain_and_findings(
    chromium: Browser, tmp_path: Path
) -> None:
    tab = assert_inert(chromium, host_page(tmp_path))
    assert tab.evaluate("document.querySelectorAll('section.target').length") == 1
    assert tab.evaluate("document.querySelectorAll('svg.bar rect').length") == 4  # dns..http
    chain = tab.evaluate("document.querySelector('table.chain').innerText")
    assert "CN=\\<script\\>alert(document.domain)\\</script\\>" in chain
    assert "TLS_INTERCEPTED" in tab.evaluate("document.body.innerText")
