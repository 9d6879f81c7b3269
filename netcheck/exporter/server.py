"""The exporter's HTTP server: /probe runs one check and answers in Prometheus's text format.

Prometheus's multi-target pattern, as blackbox_exporter: Prometheus calls /probe with the
selection as parameters, and the answer holds the same families as `check --format
prometheus`. /metrics holds the exporter's own. A probe that raises never stops the server
(500 and a counter); more probes than --max-probes at once are refused with 503 at once;
SIGTERM lets the probes in flight finish, then stops.
"""

from __future__ import annotations

import base64
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from netcheck import DEFAULT_CONCURRENCY
from netcheck.errors import UsageError
from netcheck.expand import Selection
from netcheck.exporter.config import Module, WebConfig
from netcheck.exporter.request import BadRequest, parse_probe, probe_deadline, step_timeout

# The text format every Prometheus version reads (prometheus-client's default names 1.0.0).
TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
PLAIN = "text/plain; charset=utf-8"
# A client that neither sends its request nor reads the answer is dropped after this long.
CONNECTION_TIMEOUT = 30.0
LANDING = """netcheck exporter

/probe?region=REGION[&workspace_id=GUID][&automation_account_id=GUID]
       [&update_management=true|false][&module=NAME]
    one check of that selection, in Prometheus's text format
/metrics
    the exporter's own metrics
"""

Log = Callable[[str], None]


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = PLAIN


class Exporter:
    """What the server serves: the modules, the bound on probes in flight, its own metrics."""

    def __init__(self, modules: Mapping[str, Module], max_probes: int) -> None:
        from prometheus_client import (
            CollectorRegistry,
            Counter,
            Gauge,
            Histogram,
            PlatformCollector,
            ProcessCollector,
            disable_created_metrics,
        )

        # *_created series double every counter for nothing Prometheus needs here
        disable_created_metrics()  # type: ignore[no-untyped-call]  # not annotated upstream

        self.modules = modules
        self.max_probes = max_probes
        self._slots = threading.BoundedSemaphore(max_probes)
        # Every password a module holds: scrubbed from any error text before it is shown.
        self._secrets = tuple(
            m.proxy.password for m in modules.values() if m.proxy and m.proxy.password
        )
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.probes = Counter(
            "netcheck_exporter_probes",
            "Probes answered with a report (whatever the targets' state).",
            ("module",),
            registry=self.registry,
        )
        self.errors = Counter(
            "netcheck_exporter_probe_errors",
            "Probe requests not answered with a report: bad_request (400), failed (500), "
            "busy (503: --max-probes in flight).",
            ("reason",),
            registry=self.registry,
        )
        for reason in ("bad_request", "failed", "busy"):
            self.errors.labels(reason)
        self.durations = Histogram(
            "netcheck_exporter_probe_duration_seconds",
            "How long answered probes took.",
            ("module",),
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "netcheck_exporter_probes_in_flight",
            "Probes running now.",
            registry=self.registry,
        )
        for name in modules:
            self.probes.labels(name)
            self.durations.labels(name)

    def probe(self, query: str, scrape_timeout: str | None) -> Answer:
        try:
            request = parse_probe(query, self.modules)
        except BadRequest as exc:
            self.errors.labels("bad_request").inc()
            # a value sent in a parameter is repeated: scrubbed like everything else
            return Answer(400, self.scrubbed(str(exc)) + "\n")
        if not self._slots.acquire(blocking=False):
            self.errors.labels("busy").inc()
            return Answer(
                503, f"{self.max_probes} probes in flight already (--max-probes); try later\n"
            )
        try:
            with self.in_flight.track_inprogress():
                started = time.monotonic()
                deadline = probe_deadline(scrape_timeout, request.module.timeout)
                text = run_probe(request.module, request.selection, step_timeout(deadline))
                elapsed = time.monotonic() - started
        except Exception as exc:  # a probe that raises must not take the server down
            self.errors.labels("failed").inc()
            return Answer(500, self.scrubbed(f"probe failed: {type(exc).__name__}: {exc}") + "\n")
        finally:
            self._slots.release()
        self.probes.labels(request.module.name).inc()
        self.durations.labels(request.module.name).observe(elapsed)
        return Answer(200, text, TEXT_FORMAT)

    def metrics(self) -> Answer:
        from prometheus_client import generate_latest

        return Answer(200, generate_latest(self.registry).decode("utf-8"), TEXT_FORMAT)

    def scrubbed(self, text: str) -> str:
        """One line, with no module's proxy password in it."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return " ".join(text.split())


def run_probe(module: Module, selection: Selection, timeout: float) -> str:
    """One check of the selection with the module's settings, rendered for Prometheus."""
    from netcheck.check_run import probe_settings, run_check
    from netcheck.expand import canary_label
    from netcheck.report import prometheus

    settings = probe_settings(
        module.ca_bundle, module.dns_server, timeout, DEFAULT_CONCURRENCY, module.proxy
    )
    report = run_check(module.catalogue, selection, settings, canary_label())
    return prometheus.render(report)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = CONNECTION_TIMEOUT
    server_version = "netcheck-exporter"

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            # here, in the connection's own thread: a slow handshake holds up nobody else
            self.connection.do_handshake()

    def do_GET(self) -> None:
        started = time.monotonic()
        parts = urlsplit(self.path)
        if not self._authorized():
            answer = Answer(401, "authentication required\n")
        elif parts.path == "/probe":
            answer = self.server.exporter.probe(
                parts.query, self.headers.get("X-Prometheus-Scrape-Timeout-Seconds")
            )
        elif parts.path == "/metrics":
            answer = self.server.exporter.metrics()
        elif parts.path == "/":
            answer = Answer(200, LANDING)
        else:
            answer = Answer(404, "not found: the exporter serves /probe and /metrics\n")
        # The path alone, never the query: it holds only a selection, but a line per scrape
        # is noise, and an error says what was wrong in its own words. Logged before the
        # answer leaves, so that the log's order is the order the client saw (a SIGTERM sent
        # after an answer is logged after that answer's line).
        reason = f": {answer.body.strip()}" if answer.status >= 400 else ""
        self.server.log(
            f"{self.client_address[0]} GET {parts.path} {answer.status} "
            f"{time.monotonic() - started:.3f}s{reason}"
        )
        body = answer.body.encode("utf-8")
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(body)))
        if answer.status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="netcheck exporter"')
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        users = self.server.web.users
        if not users:
            return True
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = (
                base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
            )
        except ValueError:  # not base64, or not UTF-8
            return False
        hashed = users.get(user)
        if hashed is None:
            return False
        import bcrypt  # only a listener with users needs it

        try:
            return bool(bcrypt.checkpw(password.encode("utf-8"), hashed))
        except ValueError:  # a hash bcrypt cannot read
            return False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """do_GET logs each answer itself, without the query."""

    def log_message(self, format: str, *args: Any) -> None:
        # http.server's own complaints (a malformed request, an unsupported method) quote
        # the raw request line: log their kind only.
        code = args[0] if format.startswith("code") and args else "?"
        self.server.log(
            f"{self.client_address[0]} refused a malformed or unsupported request ({code})"
        )


class _Server(ThreadingHTTPServer):
    # Each request's thread is joined on shutdown: probes in flight finish and are answered.
    daemon_threads = False
    block_on_close = True

    def __init__(self, host: str, port: int, exporter: Exporter, web: WebConfig, log: Log):
        self.exporter, self.web, self.log = exporter, web, log
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        self.log(f"{client_address[0]} connection failed: {type(error).__name__}: {error}")


def serve(host: str, port: int, exporter: Exporter, web: WebConfig, log: Log) -> Callable[[], None]:
    """Bind now (so a bad address fails before anything else), and return the serving loop;
    the loop returns after SIGTERM or SIGINT, once every request in flight is answered."""
    server = _Server(host, port, exporter, web, log)
    if web.tls:
        assert web.cert_file is not None and web.key_file is not None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(web.cert_file, web.key_file)
        except (OSError, ssl.SSLError) as exc:
            server.server_close()
            raise UsageError(
                f"--web-config-file: cannot use {web.cert_file} and {web.key_file}: "
                f"{exc.strerror or exc}"
            ) from None
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )

    def loop() -> None:
        stopping = threading.Event()

        def stop(signum: int, frame: object) -> None:
            if not stopping.is_set():
                stopping.set()
                log(f"{signal.Signals(signum).name}: finishing the probes in flight")
                # shutdown() waits for serve_forever, which runs in this very thread
                threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            server.serve_forever(poll_interval=0.25)
        finally:
            server.server_close()
        log("stopped")

    return loop
