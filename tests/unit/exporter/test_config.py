"""The exporter's module and web configuration files: what they accept and how they refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from netcheck.catalogue import load_catalogue
from netcheck.errors import UsageError
from netcheck.exporter.config import DEFAULT_TIMEOUT, load_modules, load_web_config

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "prometheus" / "netcheck.yml"
HASH = "$2y$04$udnWmefDOe9mTAfsIzKlVOF04/b4Q0vz49edqaTrdVK7iai0nqvk6"


def write(tmp_path: Path, data: Any, name: str = "netcheck.yml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return str(path)


def refusal(tmp_path: Path, data: Any, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(UsageError) as caught:
        load_modules(write(tmp_path, data), load_catalogue, environ or {})
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_without_a_file_there_is_only_the_default_module() -> None:
    modules = load_modules(None, load_catalogue, {})
    assert list(modules) == ["default"]
    default = modules["default"]
    assert default.proxy is None and default.timeout == DEFAULT_TIMEOUT
    assert default.catalogue.regions


def test_the_example_loads_with_the_password_from_the_environment() -> None:
    modules = load_modules(str(EXAMPLE), load_catalogue, {"NETCHECK_PROXY_PASSWORD": "s3cret"})
    assert sorted(modules) == ["corp_proxy", "default"]
    proxy = modules["corp_proxy"].proxy
    assert proxy is not None and proxy.password == "s3cret" and proxy.username == "svc-hrw"
    assert "s3cret" not in repr(modules["corp_proxy"])


def test_modules_share_one_loaded_catalogue() -> None:
    calls: list[str | None] = []

    def counting(path: str | None) -> Any:
        calls.append(path)
        return load_catalogue(path)

    load_modules(None, counting, {})
    assert calls == [None]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"modules": {"m": {"proxi": "http://p:3128"}}},
            "modules.m: unknown key 'proxi' (valid: proxy,",
        ),
        (
            {"modules": {"m": {"timeout": 0}}},
            "modules.m.timeout: must be a number of seconds from 0.1 to 300",
        ),
        ({"modules": {"m": {"timeout": "5"}}}, "modules.m.timeout: must be a number"),
        (
            {"modules": {"m": {"proxy": "socks5://p:1080"}}},
            "modules.m.proxy: --proxy socks5://p:1080: unsupported scheme",
        ),
        ({"modules": {"m": {"proxy_password_env": "X"}}}, "needs a proxy with a user name"),
        (
            {"modules": {"m": {"proxy": "http://p:3128", "proxy_password_env": "X"}}},
            "the proxy URL has no user name",
        ),
        (
            {"modules": {"m": {"proxy": "http://u@p:3128", "proxy_password_env": "UNSET"}}},
            "the environment variable UNSET is not set",
        ),
        ({"modules": ["m"]}, "modules: must be a mapping"),
        ({"module": {}}, "unknown key 'module' (valid: modules)"),
        ("modules: [", "not valid YAML (line"),
        (
            {"modules": {"m": {"catalogue": "/nonexistent/regions.yaml"}}},
            "/nonexistent/regions.yaml",
        ),
    ],
)
def test_a_broken_file_is_one_line_naming_the_key(tmp_path: Path, data: Any, words: str) -> None:
    assert words in refusal(tmp_path, data)


def test_a_password_in_the_url_and_the_environment_is_refused_without_showing_it(
    tmp_path: Path,
) -> None:
    data = {"modules": {"m": {"proxy": "http://u:hunter2@p:3128", "proxy_password_env": "X"}}}
    message = refusal(tmp_path, data, {"X": "other"})
    assert "not both" in message and "hunter2" not in message


def test_yaml_is_read_safely(tmp_path: Path) -> None:
    message = refusal(tmp_path, "modules: !!python/object/apply:os.system ['true']\n")
    assert "not valid YAML" in message


def test_web_config_in_exporter_toolkit_format(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "tls_server_config": {"cert_file": "server.crt", "key_file": "server.key"},
            "basic_auth_users": {"prometheus": HASH},
        },
        "web.yml",
    )
    web = load_web_config(path)
    # relative to the web config file, as exporter-toolkit reads them
    assert web.cert_file == str(tmp_path / "server.crt") and web.tls
    assert web.users == {"prometheus": HASH.encode()}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"http_server_config": {"http2": False}}, "unknown key 'http_server_config'"),
        ({"tls_server_config": {"cert_file": "a.crt"}}, "needs both cert_file and key_file"),
        (
            {"tls_server_config": {"cert_file": "a", "key_file": "b", "client_auth_type": "x"}},
            "unknown key 'client_auth_type'",
        ),
        ({"basic_auth_users": {"alice": "plaintext"}}, "basic_auth_users.alice: not a bcrypt hash"),
    ],
)
def test_web_config_refuses_what_it_does_not_enforce(tmp_path: Path, data: Any, words: str) -> None:
    with pytest.raises(UsageError, match=None) as caught:
        load_web_config(write(tmp_path, data, "web.yml"))
    assert words in str(caught.value)
