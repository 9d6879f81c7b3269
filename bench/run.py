"""The benchmark: netcheck against openssl, curl and sslyze over a 100 ms round trip.

    python bench/run.py [--runs N] [--output bench/RESULTS.md] [--sslyze PATH]   (as root)

Builds the ncb-* world (bench/world.py), times every command as a whole process (median of
--runs, every tool interleaved round by round), writes the table, the target ratios
(bench/report.py) and the machine to RESULTS.md, and tears the world down even after an error. It reports;
a missed target never makes it fail (exit 1 only when the world cannot be built).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":
    # `python bench/run.py` puts bench/ first on the path; the benchmark and the test world
    # are packages of the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from bench import catalogues, report, world
from bench.measure import Case, run_once
from bench.timeline import Traced, run_captured
from netcheck.catalogue import load_catalogue
from netcheck.expand import (
    Selection,
    canaries,
    deployments_for,
    expand,
    find_region,
    probe_targets,
)
from tests.world.netns import WorldError

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SSLYZE = Path("/opt/ncb-sslyze/bin/sslyze")
COUNTS = (1, 4, 50)
LIMIT = 300.0  # seconds one command may take before it is killed (by its PID)
BLACKHOLE_TIMEOUT = "3"
DEFAULT_REGION = "westeurope"
CURL_AT_ONCE = 64  # --parallel-max of the issue-6 rows, kept so that they stay comparable
CURL_MAX = 300  # curl's own ceiling: the issue-14 rows give curl every URL at once, as
# netcheck's --concurrency 256 does
SHIPPED_NAME = "shipped-plus-minted.yaml"  # the shipped catalogue plus the minted CAs
EXPORTER = "127.0.0.1:10115"  # in ncb-client, on its own loopback
EXPORTER_READY = 20.0


@dataclass(frozen=True)
class Plan:
    healthy: list[Case]
    blackholed: list[Case]  # every endpoint dropped; the resolver still answers
    silent: list[Case]  # every endpoint and the resolver dropped
    startup: list[Case]  # no network at all, outside the world
    undelayed: list[Case]  # the healthy world without its delay line: CPU, not waiting
    traced: list[Traced]  # packet timelines, captured apart from the timed runs

    def all(self) -> list[Case]:
        return [*self.healthy, *self.undelayed, *self.blackholed, *self.silent, *self.startup]


def clean_env() -> dict[str, str]:
    """Nothing in the environment may change what the tools do (proxies, NETCHECK_*)."""
    proxies = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    return {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in proxies and not k.startswith("NETCHECK_")
    }


def in_client(*argv: str) -> list[str]:
    return ["ip", "netns", "exec", world.CLIENT_NS, *argv]


def netcheck_check(*args: str) -> list[str]:
    return in_client(sys.executable, "-m", "netcheck", "check", *args)


def check_urls(
    region: str | None,
    workspace: str | None,
    account: str | None,
    update_management: bool,
    canary_label: str | None = None,
) -> list[str]:
    """What `check` probes for this selection (region None: all regions), as URLs for curl:
    https for port 443, http for the port-80 revocation hosts, and its canaries when
    `canary_label` is given (curl meets their NXDOMAIN as netcheck does)."""
    catalogue = load_catalogue(None)
    selection = Selection(
        region=find_region(catalogue, region) if region else catalogue.regions[0],
        deployments=deployments_for(workspace, account, update_management, include_revocation=True),
        workspace_id=workspace,
        account_id=account,
        all_regions=region is None,
    )
    expanded = expand(catalogue, selection)
    targets = probe_targets(expanded)
    if canary_label is not None:
        targets += canaries(expanded, canary_label)
    return [
        f"{'http' if t.port == 80 else 'https'}://{t.host}/"
        for t in targets
        if t.skip_reason is None
    ]


def all_regions_urls(with_ids: bool = False) -> list[str]:
    """What `check --all-regions` probes (canaries aside), as URLs for curl."""
    if with_ids:
        return check_urls(None, catalogues.WORKSPACE_ID, catalogues.ACCOUNT_ID, True)
    return check_urls(None, None, None, False)


def loop(command: str, hosts: Sequence[str]) -> list[str]:
    """One process after another, as a shell script would run them."""
    script = f'for h in "$@"; do {command} >/dev/null 2>&1 </dev/null; done'
    return in_client("sh", "-c", script, "loop", *hosts)


def curl_parallel(
    roots: Path, urls: Sequence[str], *extra: str, at_once: int = CURL_AT_ONCE
) -> list[str]:
    outputs = [arg for url in urls for arg in ("-o", "/dev/null", url)]
    return in_client(
        "curl",
        "--parallel",
        "--parallel-immediate",
        "--parallel-max",
        str(at_once),
        "-sS",
        "--no-progress-meter",
        "--cacert",
        str(roots),
        *extra,
        *outputs,
    )


def default_check_args(catalogue: Path) -> tuple[str, ...]:
    return (
        "--region",
        DEFAULT_REGION,
        "--workspace-id",
        catalogues.WORKSPACE_ID,
        "--update-management",
        "--catalogue",
        str(catalogue),
    )


def verify_default(healthy: Sequence[Case]) -> None:
    """The default check must meet the world as it would meet the internet: every canary
    NXDOMAIN, every revocation host answering plain HTTP on port 80, every other host passing."""
    argv = next(c.argv for c in healthy if c.key == "netcheck-default")
    done = subprocess.run(
        [*argv, "--format", "json"], capture_output=True, text=True, env=clean_env(), check=False
    )
    try:
        targets = json.loads(done.stdout)["targets"]
    except (ValueError, KeyError):
        raise WorldError(f"the default check gave no JSON report: {done.stderr}") from None
    wrong = []
    for t in targets:
        observed = t["observations"] or {}
        if t["canary"]:
            ok = (observed.get("dns") or {}).get("outcome") == "nxdomain"
        elif t["port"] == 80:
            ok = (observed.get("http") or {}).get("status") == 200
        else:
            ok = t["status"] in ("pass", "skip")
        if not ok:
            wrong.append(f"{t['host']}:{t['port']} ({t['status']})")
    if wrong or not any(t["canary"] for t in targets):
        raise WorldError(f"the default check does not see the world it should: {wrong}")


def plan(folder: Path, auth: world.Authorities, roots: Path, sslyze: Path | None) -> Plan:
    trust = ("--ca-bundle", str(roots))
    healthy: list[Case] = []
    for n in COUNTS:
        group = f"{n} target{'s' if n > 1 else ''}"
        generated = catalogues.write_generated(folder / f"generated-{n}.yaml", n, auth.microsoft)
        hosts = [catalogues.bench_host(i) for i in range(1, n + 1)]
        openssl = f'openssl s_client -connect "$h:443" -servername "$h" -showcerts -CAfile {roots}'
        curl = f'curl -sS -o /dev/null --cacert {roots} "https://$h/"'
        healthy += [
            Case(
                f"netcheck-{n}",
                group,
                "netcheck check",
                netcheck_check("--catalogue", str(generated), "--region", "benchland", *trust),
                n,
            ),
            Case(
                f"openssl-{n}",
                group,
                "openssl s_client, one after another",
                loop(openssl, hosts),
                n,
            ),
            Case(f"curl-{n}", group, "curl, one after another", loop(curl, hosts), n),
            Case(
                f"curl-parallel-{n}",
                group,
                "curl --parallel",
                curl_parallel(roots, [f"https://{h}/" for h in hosts]),
                n,
            ),
        ]
        if sslyze is not None:
            certinfo = (
                "--certinfo",
                "--certinfo_ca_file",
                str(roots),
                "--mozilla_config",
                "disable",
            )
            healthy.append(
                Case(
                    f"sslyze-{n}",
                    group,
                    "sslyze --certinfo",
                    in_client(str(sslyze), *certinfo, *hosts),
                    n,
                )
            )
    shipped = catalogues.write_shipped(folder / SHIPPED_NAME, auth.microsoft)
    every = all_regions_urls()
    all_regions = ("--all-regions", "--catalogue", str(shipped), *trust)
    ids = (
        "--workspace-id",
        catalogues.WORKSPACE_ID,
        "--automation-account-id",
        catalogues.ACCOUNT_ID,
        "--update-management",
    )
    healthy += [
        Case(
            "netcheck-all",
            "all regions",
            "netcheck check --all-regions",
            netcheck_check(*all_regions),
            len(every),
        ),
        Case(
            "netcheck-all-ids",
            "all regions",
            "netcheck check --all-regions with both IDs and --update-management",
            netcheck_check(*all_regions, *ids),
            len(all_regions_urls(with_ids=True)),
        ),
        Case(
            "curl-parallel-all",
            "all regions",
            "curl --parallel",
            curl_parallel(roots, every),
            len(every),
        ),
    ]
    # The check a user types (README), with its canaries and port-80 revocation hosts.
    label = f"netcheck-canary-{secrets.token_hex(6)}"
    default_urls = check_urls(DEFAULT_REGION, catalogues.WORKSPACE_ID, None, True, label)
    all_ids_urls = check_urls(None, catalogues.WORKSPACE_ID, catalogues.ACCOUNT_ID, True, label)
    default = netcheck_check(*default_check_args(shipped), *trust)
    healthy += [
        Case(
            "curl-parallel-all-ids",
            "all regions",
            "curl --parallel, the hosts of both IDs and --update-management, canaries too",
            curl_parallel(roots, all_ids_urls, at_once=min(CURL_MAX, len(all_ids_urls))),
            len(all_ids_urls),
        ),
        Case(
            "netcheck-default",
            "default check",
            "netcheck check --region westeurope --workspace-id --update-management",
            default,
            len(default_urls),
        ),
        Case(
            "exporter-probe",
            "default check",
            "curl to a running netcheck exporter: /probe of the same selection",
            in_client("curl", "-sS", "--fail", "-o", "/dev/null", exporter_probe_url()),
            len(default_urls),
        ),
        Case(
            "curl-parallel-default",
            "default check",
            "curl --parallel, the same hosts and schemes, canaries too",
            curl_parallel(roots, default_urls, at_once=CURL_MAX),
            len(default_urls),
        ),
    ]
    undelayed = [
        Case(
            "netcheck-default-undelayed",
            "default check, no delay",
            "netcheck check --region westeurope --workspace-id --update-management",
            default,
            len(default_urls),
        )
    ]
    traced = [
        Traced("netcheck-default", "netcheck, the default check", default),
        Traced(
            "curl-parallel-default",
            "curl --parallel, the same hosts",
            curl_parallel(roots, default_urls, at_once=CURL_MAX),
        ),
        Traced(
            "netcheck-all-ids",
            "netcheck --all-regions, both IDs, --update-management",
            netcheck_check(*all_regions, *ids),
        ),
    ]
    fifty = ("--catalogue", str(folder / "generated-50.yaml"), "--region", "benchland")
    timeout = ("--timeout", BLACKHOLE_TIMEOUT)
    fifty_urls = [f"https://{catalogues.bench_host(i)}/" for i in range(1, 51)]
    blackholed = [
        Case(
            "blackholed-50",
            "endpoints blackholed",
            "netcheck check --timeout 3",
            netcheck_check(*fifty, *timeout, *trust),
            50,
        ),
        Case(
            "blackholed-all",
            "endpoints blackholed",
            "netcheck check --all-regions --timeout 3",
            netcheck_check(*all_regions, *timeout),
            len(every),
        ),
        Case(
            "blackholed-all-wide",
            "endpoints blackholed",
            "netcheck check --all-regions --timeout 3 --concurrency 256",
            netcheck_check(*all_regions, *timeout, "--concurrency", "256"),
            len(every),
        ),
        Case(
            "blackholed-curl-50",
            "endpoints blackholed",
            "curl --parallel --connect-timeout 3",
            curl_parallel(roots, fifty_urls, "--connect-timeout", BLACKHOLE_TIMEOUT),
            50,
        ),
    ]
    silent = [
        Case(
            "silent-50",
            "endpoints and resolver blackholed",
            "netcheck check --timeout 3",
            netcheck_check(*fifty, *timeout, *trust),
            50,
        ),
    ]
    python = (sys.executable,)
    startup = [
        Case("bare", "start-up", "python -c pass", [*python, "-c", "pass"]),
        Case("version", "start-up", "netcheck --version", [*python, "-m", "netcheck", "--version"]),
        Case("help", "start-up", "netcheck --help", [*python, "-m", "netcheck", "--help"]),
    ]
    return Plan(healthy, blackholed, silent, startup, undelayed, traced)


def exporter_argv(config: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "netcheck",
        "exporter",
        "--listen",
        EXPORTER,
        "--config",
        str(config),
    ]


def exporter_probe_url() -> str:
    """The default check's selection (README) as a /probe: the same targets, canaries too."""
    return (
        f"http://{EXPORTER}/probe?region={DEFAULT_REGION}&module=bench"
        f"&workspace_id={catalogues.WORKSPACE_ID}&update_management=true"
    )


@contextlib.contextmanager
def exporter_running(folder: Path, shipped: Path, roots: Path) -> Iterator[None]:
    """`netcheck exporter` in ncb-client for the whole run, warmed up by one probe (its
    imports), stopped by PID. The module's timeout gives each step check's default 5 s."""
    config = folder / "exporter.yml"
    module = {"catalogue": str(shipped), "ca_bundle": str(roots), "timeout": 20}
    config.write_text(yaml.safe_dump({"modules": {"bench": module}}))
    with (folder / "exporter.log").open("wb") as log:
        process = subprocess.Popen(
            in_client(*exporter_argv(config)),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=clean_env(),
        )
    try:
        deadline = time.monotonic() + EXPORTER_READY
        warm = in_client("curl", "-sS", "--fail", "-o", "/dev/null", exporter_probe_url())
        while subprocess.run(warm, capture_output=True, check=False).returncode != 0:
            if process.poll() is not None or time.monotonic() > deadline:
                raise WorldError(f"the exporter did not answer: see {folder / 'exporter.log'}")
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(cases: Sequence[Case], log: Path, label: str) -> None:
    env = clean_env()
    for case in cases:
        sample = run_once(case.argv, env, log, LIMIT)
        case.samples.append(sample)
        print(
            f"  {label}: {case.key:<22} {sample.seconds:7.2f} s  {sample.peak_rss_mb:6.1f} MB"
            f"  exit {sample.exit_code}",
            file=sys.stderr,
        )


def trace(cases: Sequence[Traced], folder: Path, label: str) -> None:
    env = clean_env()
    for case in cases:
        found = run_captured(case.argv, env, folder, case.key)
        case.samples.append(found)
        first = "-" if found.first_query is None else f"{found.first_query:.3f} s"
        print(
            f"  {label}: {case.key:<22} first query {first}, "
            f"{found.queries_before_first_answer}/{found.queries} in the first wave",
            file=sys.stderr,
        )


def run_rounds(the_plan: Plan, runs: int, log: Path, folder: Path) -> None:
    """Every round runs every case once, so slow drifts of the machine hit all tools alike."""
    for number in range(1, runs + 1):
        label = f"round {number}/{runs}"
        measure(the_plan.healthy, log, label)
        with world.undelayed():
            measure(the_plan.undelayed, log, label)
        trace(the_plan.traced, folder, label)
        with world.blackholed(with_dns=False):
            measure(the_plan.blackholed, log, label)
        with world.blackholed(with_dns=True):
            measure(the_plan.silent, log, label)
        # start-up is short and noisy: three samples per round
        for _ in range(3):
            measure(the_plan.startup, log, label)


def concurrency_option() -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "netcheck", "check", "--help"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    return "--concurrency" in done.stdout


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds; the median is reported")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument(
        "--sslyze",
        type=Path,
        default=DEFAULT_SSLYZE,
        help="the sslyze executable (its own venv: its pins clash with netcheck's)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args(argv)
    missing = world.missing_prerequisites()
    if missing:
        print(f"bench: {missing}", file=sys.stderr)
        return 1
    sslyze = args.sslyze if args.sslyze.exists() else shutil.which("sslyze")
    if sslyze is None:
        print(
            f"bench: no sslyze at {args.sslyze} nor on PATH: its rows are left out", file=sys.stderr
        )
    # the TLS server runs as `python -m bench.tls_endpoint`, from the repository root
    os.chdir(REPO)
    # An installed netcheck runs from bytecode (pip compiles it at install). Compile the tree
    # once, so that no run pays for compiling netcheck's sources, even where the environment
    # says PYTHONDONTWRITEBYTECODE.
    compileall.compile_dir(REPO / "netcheck", quiet=1)
    folder = Path(tempfile.mkdtemp(prefix="ncb-"))
    log = folder / "commands.log"
    try:
        auth = world.mint()
        hosts = [catalogues.bench_host(i) for i in range(1, max(COUNTS) + 1)]
        hosts += catalogues.shipped_hosts()
        machine = report.machine(Path(sslyze) if sslyze else None)
        with world.running_world(folder, auth, hosts) as built:
            the_plan = plan(folder, auth, built.roots, Path(sslyze) if sslyze else None)
            rtt = world.round_trip_ms()
            print(
                f"bench: world up, round trip {rtt:.0f} ms; work folder {folder}", file=sys.stderr
            )
            verify_default(the_plan.healthy)
            with exporter_running(folder, folder / SHIPPED_NAME, built.roots):
                run_rounds(the_plan, args.runs, log, folder)
            dead = built.dead_daemons()
            if dead:
                print(f"bench: daemons died during the run: {dead}", file=sys.stderr)
        command = "python bench/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
        text = report.render(
            the_plan.all(),
            the_plan.traced,
            machine,
            rtt,
            args.runs,
            command.strip(),
            concurrency_option(),
        )
        report.write(args.output, text)
        print(f"bench: results in {args.output}", file=sys.stderr)
    except WorldError as exc:
        print(f"bench: the world could not be built or broke: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
