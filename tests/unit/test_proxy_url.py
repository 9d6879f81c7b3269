"""Parsing --proxy: what is accepted, what is refused, and that the password never shows."""

from __future__ import annotations

import pytest

from netcheck.errors import UsageError
from netcheck.models import ProxySettings
from netcheck.proxy_url import parse_proxy, redact

SECRET = "S3cr3t-pa55"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"http://svc-hrw:{SECRET}@proxy.corp:3128",
            ProxySettings("proxy.corp", 3128, "svc-hrw", SECRET),
        ),
        ("http://proxy.corp:3128", ProxySettings("proxy.corp", 3128)),
        ("HTTP://Proxy.Corp:8080/", ProxySettings("proxy.corp", 8080)),
        ("proxy.corp:3128", ProxySettings("proxy.corp", 3128)),
        (f"svc:{SECRET}@10.0.0.5:8080", ProxySettings("10.0.0.5", 8080, "svc", SECRET)),
        ("http://proxy.corp", ProxySettings("proxy.corp", 80)),
        ("http://[2001:db8::1]:3128", ProxySettings("2001:db8::1", 3128)),
        ("http://user@proxy.corp:3128", ProxySettings("proxy.corp", 3128, "user", None)),
        ("  http://proxy.corp:3128  ", ProxySettings("proxy.corp", 3128)),
    ],
)
def test_accepted(url: str, expected: ProxySettings) -> None:
    assert parse_proxy(url) == expected


def test_percent_encoding_is_decoded() -> None:
    parsed = parse_proxy("http://CORP%5Csvc%40hrw:p%40ss%3Aw%2Frd%25@proxy.corp:3128")
    assert parsed.username == "CORP\\svc@hrw"
    assert parsed.password == "p@ss:w/rd%"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"https://user:{SECRET}@proxy.corp:3128", "unsupported scheme 'https'"),
        (f"socks5://user:{SECRET}@proxy.corp:1080", "unsupported scheme 'socks5'"),
        ("socks://proxy.corp:1080", "unsupported scheme 'socks'"),
        (f"http://user:{SECRET}@proxy.corp:99999", "port"),
        (f"http://user:{SECRET}@proxy.corp:abc", "port"),
        ("http://proxy.corp:0", "port"),
        (f"http://user:{SECRET}@:3128", "malformed"),
        ("http://:3128", "malformed"),
        ("http://", "malformed"),
        (f"http://user:{SECRET}@proxy.corp:3128/path", "malformed"),
        ("http://proxy.corp:3128?x=1", "malformed"),
        (f"http://user:my {SECRET}@proxy.corp:3128", "malformed"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_refused_with_one_line(url: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_proxy(url)
    message = str(caught.value)
    assert "\n" not in message
    assert words in message
    assert "expected http://[user:password@]host:port" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{SECRET}@proxy.corp:3128",
        f"http://user:{SECRET}@proxy.corp:notaport",
        f"http://user:{SECRET}/x@proxy.corp:notaport",  # '/' in the password
        f"http://user:{SECRET}@x@proxy.corp:notaport",  # '@' in the password
        f"http://user:{SECRET}#frag@proxy.corp:3128",  # '#' in the password
        f"http://user:{SECRET}?q@proxy.corp:3128",  # '?' in the password
        f"http://dom/user:{SECRET}@proxy.corp:3128",  # '/' in the user name
        f"user:{SECRET}@proxy.corp:70000",
        f"http://:{SECRET}@proxy.corp:70000",  # password without user name
        f"user:a://{SECRET}@proxy.corp:3128",  # '://' in the password, no scheme
    ],
)
def test_password_never_in_an_error(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_proxy(url)
    assert SECRET not in str(caught.value)
    assert "***" in str(caught.value)


def test_password_never_in_repr_or_redacted_url() -> None:
    parsed = parse_proxy(f"http://svc-hrw:{SECRET}@proxy.corp:3128")
    assert parsed.password == SECRET
    assert SECRET not in repr(parsed)
    assert SECRET not in str(parsed)
    assert parsed.redacted_url == "http://svc-hrw:***@proxy.corp:3128"


def test_redacted_url_without_credentials() -> None:
    assert parse_proxy("proxy.corp:3128").redacted_url == "http://proxy.corp:3128"
    assert parse_proxy("http://u@proxy.corp:3128").redacted_url == "http://u@proxy.corp:3128"


def test_redact_leaves_urls_without_password_alone() -> None:
    assert redact("http://proxy.corp:3128") == "http://proxy.corp:3128"
    assert redact("http://user@proxy.corp:3128") == "http://user@proxy.corp:3128"
    assert redact("user@proxy.corp:x") == "user@proxy.corp:x"


def test_error_about_a_url_without_password_shows_it_whole() -> None:
    with pytest.raises(UsageError, match=r"--proxy http://svc@proxy\.corp:x: "):
        parse_proxy("http://svc@proxy.corp:x")
