"""`netcheck exporter`: serve checks to Prometheus (multi-target exporter, as blackbox_exporter)."""

from __future__ import annotations

import gc

import click

from netcheck.cli.base import OUTPUT_EXIT_HELP, option
from netcheck.errors import UsageError

# Prometheus's list of default exporter ports fills 9100-9999; this one lies outside it and
# outside what /etc/services names, so it collides with no well-known exporter.
DEFAULT_PORT = 10115
DEFAULT_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"

_EPILOG = (
    """\b
Examples:
  # the shipped catalogue, direct, on 127.0.0.1:10115
  netcheck exporter
  # modules with a proxy, trust roots, a resolver (see examples/prometheus/netcheck.yml)
  netcheck exporter --config /etc/netcheck/exporter.yml --listen 0.0.0.0:10115
  # what Prometheus asks for
  curl 'http://127.0.0.1:10115/probe?region=westeurope&workspace_id=<GUID>&update_management=true'

\b
It runs until SIGTERM or Ctrl-C, finishes the probes in flight, then exits 0.
"""
    + OUTPUT_EXIT_HELP
)


@click.command(epilog=_EPILOG)
@option(
    "--listen",
    env="LISTEN",
    default=DEFAULT_LISTEN,
    show_default=True,
    metavar="HOST:PORT",
    help="Address and port to serve on ([::1]:10115 for IPv6).",
)
@option(
    "--config",
    env="EXPORTER_CONFIG",
    metavar="FILE",
    help="Modules (YAML): proxy, proxy_password_env, ca_bundle, dns_server, timeout, "
    "catalogue per module. Without it, only the 'default' module: direct, shipped catalogue.",
)
@option(
    "--web-config-file",
    env="WEB_CONFIG_FILE",
    metavar="FILE",
    help="TLS and basic authentication of the listener, in exporter-toolkit's format "
    "(tls_server_config, basic_auth_users with bcrypt hashes).",
)
@option(
    "--max-probes",
    env="MAX_PROBES",
    type=click.IntRange(min=1, max=64),
    default=8,
    show_default=True,
    help="Probes in flight at once; beyond them /probe answers 503 at once.",
)
def exporter(listen: str, config: str | None, web_config_file: str | None, max_probes: int) -> None:
    """Serve checks to Prometheus: GET /probe?region=...&module=... runs one check of that
    selection and answers in Prometheus's text format; GET /metrics gives the exporter's own.

    Only the catalogue's targets can be probed. A proxy password lives in the --config file or
    the environment, never in a request, a label or a log line. Metrics and settings:
    README.md, "Monitoring with Prometheus".
    """
    from netcheck.catalogue import load_catalogue
    from netcheck.certs import load_store
    from netcheck.check_run import probe_settings
    from netcheck.exporter.config import WebConfig, load_modules, load_web_config
    from netcheck.exporter.server import Exporter, serve

    # run() leaves the cyclic collector off for one-shot commands; a server needs it.
    gc.enable()
    host, port = parse_listen(listen)
    modules = load_modules(config, load_catalogue)
    for module in modules.values():
        # the resolver and the trust roots are checked now, not at the first scrape
        settings = probe_settings(module.ca_bundle, module.dns_server, module.timeout, 1)
        for store in settings.trust:
            load_store(store)
    web = load_web_config(web_config_file) if web_config_file else WebConfig()
    log = _stderr_log
    try:
        loop = serve(host, port, Exporter(modules, max_probes), web, log)
    except OSError as exc:
        raise UsageError(f"--listen {listen}: cannot listen there: {exc.strerror or exc}") from None
    scheme = "https" if web.tls else "http"
    shown = f"[{host}]" if ":" in host else host
    log(
        f"listening on {scheme}://{shown}:{port} (modules: {', '.join(sorted(modules))}; "
        f"at most {max_probes} probes at once)"
    )
    loop()


def parse_listen(listen: str) -> tuple[str, int]:
    """HOST:PORT, [IPv6]:PORT; the host may not be empty (say 0.0.0.0 to listen everywhere)."""
    host, sep, port_text = listen.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(
            f"--listen {listen!r}: expected HOST:PORT with a port from 1 to 65535 "
            f"(e.g. {DEFAULT_LISTEN}, 0.0.0.0:{DEFAULT_PORT}, [::1]:{DEFAULT_PORT})"
        )
    return host, int(port_text)


def _stderr_log(line: str) -> None:
    click.echo(f"netcheck exporter: {line}", err=True)
