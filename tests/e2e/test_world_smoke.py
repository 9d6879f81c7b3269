"""The world itself works, seen by plain clients: tells a world bug from a netcheck bug."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.world import plan, scenarios
from tests.world.run import clean_env
from tests.world.services import HERE
from tests.world.world import World

pytestmark = pytest.mark.world

HEALTHY = scenarios.by_label("healthy")


def client_probe(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            plan.CLIENT_NS,
            sys.executable,
            str(HERE / "client_probe.py"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(
    ("label", "outcome", "addresses"),
    [
        ("healthy", "ok", [plan.HEALTHY]),
        ("absent", "nxdomain", []),
        ("txtonly", "no-answer", []),
        ("servfail", "servfail", []),
        ("dnstimeout", "timeout", []),
        ("sinkhole-zero", "ok", ["0.0.0.0"]),
        ("private", "ok", [plan.PRIVATE]),
        ("proxy-only", "nxdomain", []),
    ],
)
def test_client_resolver_answers_as_planned(
    world: World, label: str, outcome: str, addresses: list[str]
) -> None:
    result = client_probe("dns", scenarios.by_label(label).host)
    assert (result["outcome"], result["addresses"]) == (outcome, addresses)


def test_private_name_is_a_cname_into_privatelink(world: World) -> None:
    result = client_probe("dns", scenarios.by_label("private").host)
    assert result["canonical"] == f"private.{scenarios.PRIVATELINK_ZONE}"


def test_real_azure_names_resolve_to_the_healthy_server(world: World) -> None:
    result = client_probe("dns", "we-jobruntimedata-prod-su1.azure-automation.net")
    assert result["addresses"] == [plan.HEALTHY]


def test_unknown_names_under_real_zones_do_not_exist(world: World) -> None:
    """What netcheck's canary expects of a healthy resolver."""
    for name in ("no-such-name.azure-automation.net", "no-such-name.blob.core.windows.net"):
        assert client_probe("dns", name)["outcome"] == "nxdomain", name


def test_plain_http_answers_on_port_80(world: World) -> None:
    result = client_probe("http", plan.HEALTHY, "crl3.digicert.com")
    assert result["status_line"] == "HTTP/1.1 404 Not Found"


def test_proxy_resolver_knows_proxy_only_names(world: World) -> None:
    result = client_probe("dns", scenarios.by_label("proxy-only").host, plan.DNS_PROXY_VIEW)
    assert result["addresses"] == [plan.HEALTHY]


def test_tls_server_presents_the_microsoft_chain(world: World) -> None:
    # the bundle holds roots only: verification proves the intermediate is served
    result = client_probe("tls", HEALTHY.host, plan.HEALTHY, str(world.ca_bundle))
    assert result["verified"], result
    assert result["issuer_cn"] == "Microsoft Azure RSA TLS Issuing CA 03"
    assert result["status_line"] == "HTTP/1.1 404 Not Found"
    assert result["headers"]["Server"] == "test-azure"


@pytest.mark.parametrize(
    ("label", "issuer"),
    [
        ("ecc", "Microsoft Azure ECC TLS Issuing CA 03"),
        ("msroot", "Microsoft Azure RSA TLS Issuing CA 04"),
        ("private", "Microsoft Azure RSA TLS Issuing CA 03"),
    ],
)
def test_other_genuine_chains_verify(world: World, label: str, issuer: str) -> None:
    scenario = scenarios.by_label(label)
    address = scenario.private_address or scenario.address or ""
    result = client_probe("tls", scenario.host, address, str(world.ca_bundle))
    assert result["verified"], result
    assert result["issuer_cn"] == issuer


def test_intercepting_chains_do_not_verify_against_public_roots(world: World) -> None:
    for label in ("zscaler", "contoso", "selfsigned", "forged", "wrongname", "expired"):
        result = client_probe(
            "tls", scenarios.by_label(label).host, plan.HEALTHY, str(world.ca_bundle)
        )
        assert not result["verified"], (label, result)


@pytest.mark.parametrize(
    ("address", "outcome"),
    [
        (plan.HEALTHY, "ok"),
        (plan.TCP_DROP, "timeout"),
        (plan.TCP_RESET, "refused"),
        (plan.TCP_UNREACHABLE, "unreachable"),
    ],
)
def test_firewall_obstructs_tcp_as_planned(world: World, address: str, outcome: str) -> None:
    assert client_probe("tcp", address, "443")["outcome"] == outcome


def test_firewall_resets_the_blocked_server_name(world: World) -> None:
    result = client_probe(
        "tls", scenarios.by_label("sni-blocked").host, plan.HEALTHY, str(world.ca_bundle)
    )
    assert not result["verified"]
    assert "reset" in result["error"].lower(), result


def test_legacy_server_speaks_tls_1_0_only(world: World) -> None:
    modern = client_probe("tls", "tls-legacy.example", plan.LEGACY_TLS, str(world.ca_bundle))
    assert not modern["verified"]
    assert "version" in modern["error"].lower(), modern
    done = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            plan.CLIENT_NS,
            "openssl",
            "s_client",
            "-connect",
            f"{plan.LEGACY_TLS}:443",
            "-tls1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert "Protocol  : TLSv1\n" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("host", "credentials", "status"),
    [
        (HEALTHY.host, None, 407),
        (HEALTHY.host, f"{plan.PROXY_USER}:wrong", 401),
        (HEALTHY.host, f"{plan.PROXY_USER}:{plan.PROXY_PASSWORD}", 200),
        (scenarios.by_label("proxy-only").host, f"{plan.PROXY_USER}:{plan.PROXY_PASSWORD}", 200),
        (scenarios.by_label("proxy-denied").host, f"{plan.PROXY_USER}:{plan.PROXY_PASSWORD}", 403),
    ],
)
def test_proxy_answers_connect_as_planned(
    world: World, host: str, credentials: str | None, status: int
) -> None:
    args = [plan.PROXY, str(plan.PROXY_PORT), host]
    if credentials:
        args.append(credentials)
    status_line = client_probe("connect", *args)["status_line"]
    assert status_line.split()[1] == str(status), status_line


def test_nothing_listens_on_the_closed_proxy_port(world: World) -> None:
    assert client_probe("tcp", plan.PROXY, str(plan.CLOSED_PORT))["outcome"] == "refused"
