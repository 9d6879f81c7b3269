"""A real exporter process on loopback: refusals, its own metrics, TLS, basic auth, SIGTERM.

Nothing here sends a valid /probe: that would probe Azure's real endpoints. The probes
themselves are tested in the world (tests/e2e/test_exporter.py).
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import pytest
import trustme
import yaml

from ..conftest import Netcheck

PASSWORD = "correct horse"


@dataclass
class Exporter:
    process: subprocess.Popen[str]
    base: str
    context: ssl.SSLContext | None = None

    def get(self, path: str, user: str | None = None, password: str = PASSWORD) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path)
        if user is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=10, context=self.context) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=10)
        return self.process.returncode, err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start(*args: str, scheme: str = "http", context: ssl.SSLContext | None = None) -> Exporter:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETCHECK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "netcheck", "exporter", "--listen", f"127.0.0.1:{port}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    exporter = Exporter(process, f"{scheme}://127.0.0.1:{port}", context)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return exporter
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the exporter did not listen")


@pytest.fixture
def plain() -> Iterator[Exporter]:
    exporter = start()
    yield exporter
    if exporter.process.poll() is None:
        exporter.process.kill()
        exporter.process.communicate()


def test_refusals_are_400_with_one_line_and_counted(plain: Exporter) -> None:
    for path in ("/probe", "/probe?region=atlantis", "/probe?region=we&target=example.com"):
        status, body = plain.get(path)
        assert status == 400 and len(body.strip().splitlines()) == 1, (path, body)
    assert plain.get("/nothing")[0] == 404
    status, landing = plain.get("/")
    assert status == 200 and "/probe?region=REGION" in landing
    status, metrics = plain.get("/metrics")
    assert status == 200
    assert 'netcheck_exporter_probe_errors_total{reason="bad_request"} 3.0' in metrics
    assert 'netcheck_exporter_probes_total{module="default"} 0.0' in metrics
    assert "process_resident_memory_bytes" in metrics
    assert "_created" not in metrics
    code, err = plain.stop()
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0].startswith("netcheck exporter: listening on http://127.0.0.1:"), err
    assert "GET /probe 400" in err and "example.com" not in err, err
    assert lines[-2:] == [
        "netcheck exporter: SIGTERM: finishing the probes in flight",
        "netcheck exporter: stopped",
    ], err


def test_tls_and_basic_auth_from_a_web_config(tmp_path: Path) -> None:
    ca = trustme.CA()
    served = ca.issue_cert("127.0.0.1")
    served.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "server.pem"))
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    # exporter-toolkit's documentation writes $2y$ hashes (htpasswd -B)
    web = {
        "tls_server_config": {"cert_file": "server.pem", "key_file": "server.pem"},
        "basic_auth_users": {"prometheus": "$2y$" + hashed[4:]},
    }
    (tmp_path / "web.yml").write_text(yaml.safe_dump(web))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    exporter = start(
        "--web-config-file", str(tmp_path / "web.yml"), scheme="https", context=context
    )
    try:
        assert exporter.get("/metrics")[0] == 401
        assert exporter.get("/metrics", "prometheus", "wrong")[0] == 401
        assert exporter.get("/metrics", "someone")[0] == 401
        status, body = exporter.get("/metrics", "prometheus")
        assert status == 200 and "netcheck_exporter_probes_in_flight" in body
        # plain HTTP on the TLS port gets nowhere, and the server carries on
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(exporter.base.replace("https", "http") + "/metrics", timeout=5)
        assert exporter.get("/", "prometheus")[0] == 200
    finally:
        code, err = exporter.stop()
    assert code == 0, err
    assert "listening on https://" in err and PASSWORD not in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--listen", "localhost"], "--listen 'localhost': expected HOST:PORT"),
        (["--listen", "127.0.0.1:70000"], "port from 1 to 65535"),
        (["--config", "/nonexistent.yml"], "cannot read --config /nonexistent.yml"),
        (["--web-config-file", "/nonexistent.yml"], "cannot read --web-config-file"),
        (["--max-probes", "0"], "--max-probes"),
    ],
)
def test_bad_options_exit_2_with_one_line(netcheck: Netcheck, args: list[str], words: str) -> None:
    run = netcheck("exporter", *args)
    assert run.code == 2, run
    assert len(run.err.splitlines()) == 1 and words in run.err, run.err


def test_a_busy_port_exits_2(netcheck: Netcheck) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = netcheck("exporter", "--listen", f"127.0.0.1:{port}")
    assert run.code == 2 and "cannot listen there" in run.err, run


def test_a_missing_tls_certificate_exits_2(netcheck: Netcheck, tmp_path: Path) -> None:
    web = {"tls_server_config": {"cert_file": "none.crt", "key_file": "none.key"}}
    (tmp_path / "web.yml").write_text(yaml.safe_dump(web))
    run = netcheck(
        "exporter",
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--web-config-file",
        str(tmp_path / "web.yml"),
    )
    assert run.code == 2 and "--web-config-file: cannot use" in run.err, run
