"""The HTML reports (check --format html, report merge --format html): self-contained, every
report string escaped, status in words as well as colour. A real browser renders them in
tests/e2e/test_html_browser.py."""

from __future__ import annotations

import dataclasses
import re

from netcheck.fleet.merge import merge
from netcheck.fleet.read import host_report
from netcheck.fleet.render.html import render_fleet
from netcheck.formats import REPORT_RENDERERS as RENDERERS
from netcheck.formats import Format
from netcheck.models import Origin, OsInfo
from netcheck.report.html_page import CSP, esc

from ..builders import GENUINE_CHAIN, cert
from ..fleet.test_merge import HEALTHY, INSPECTED, recorded
from .test_renderers import REPORT

EVIL = "<script>document.title='pwned'</script>"


def self_contained(page: str) -> None:
    """Nothing to load: no script, no external style, font or image, no link to follow."""
    assert page.startswith("<!DOCTYPE html>")
    assert f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">' in page
    assert "default-src &#x27;none&#x27;" in page
    assert "<script" not in page
    assert not re.search(r"\b(src|href|srcset|action)=", page)
    assert "url(" not in page and "@import" not in page


def test_single_host_page() -> None:
    page = RENDERERS.render(REPORT, Format.HTML)
    self_contained(page)
    assert "<title>netcheck FAIL: this host</title>" in page
    assert page.count('<section class="target"') == len(REPORT.results)
    assert '<svg class="bar"' in page  # the timing bars
    assert "TLS ok" in page and "HTTP ok" in page  # each step in words, not only colour
    assert "certificate chain as presented" in page
    assert "TLS_INTERCEPTED" in page and "<b>Fix:</b>" in page
    assert "Pr0xy-S3cret!" not in page


def test_a_hostile_certificate_subject_and_host_name_render_as_text() -> None:
    result = REPORT.results[1]
    assert result.observation is not None and result.observation.tls is not None
    hostile = cert(f"CN={EVIL}", f"CN={EVIL} CA")
    tls = dataclasses.replace(result.observation.tls, chain=(hostile, *GENUINE_CHAIN[1:]))
    obs = dataclasses.replace(result.observation, tls=tls)
    report = dataclasses.replace(
        REPORT,
        results=(dataclasses.replace(result, observation=obs), *REPORT.results[2:]),
        origin=Origin(EVIL, None, OsInfo("Linux", "6", EVIL), ("192.0.2.7",), "0.1.0"),
    )
    page = RENDERERS.render(report, Format.HTML)
    self_contained(page)
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page


def test_fleet_page_one_row_per_host_and_cells_that_open() -> None:
    evil = recorded(INSPECTED)
    evil["origin"]["hostname"] = EVIL
    evil["targets"][0]["findings"][0]["evidence"]["issuer"] = EVIL
    hosts = [host_report(recorded(HEALTHY), "a.json"), host_report(evil, "b.json")]
    fleet = merge(hosts, ["gone"], generated_at="now", tool_version="0.1.0")
    page = render_fleet(fleet)
    self_contained(page)
    assert page.count('<tr class="host"') == 3
    assert '<td class="s-fail"><details><summary>FAIL</summary>' in page
    assert '<td class="s-pass">PASS</td>' in page
    assert "NO DATA: no report received" in page
    assert "evidence</summary><pre>" in page
    assert "&lt;script&gt;" in page
