"""The benchmark: netcheck against openssl, curl and sslyze over a 100 ms round trip.

    python bench/run.py [--runs N] [--output bench/RESULTS.md] [--sslyze PATH]   (as root)

Builds the ncb-* world (bench/world.py), times every command as a whole process (median of
--runs, every tool interleaved round by round), writes the table, the ratios the issue asks
for and the machine to RESULTS.md, and tears the world down even after an error. It reports;
a missed target never makes it fail (exit 1 only when the world cannot be built).
"""

from __future__ import annotations

import argparse
import contextlib
import os
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
from netcheck.catalogue import load_catalogue
from netcheck.expand import Selection, deployments_for, expand, probe_targets, selection_for
from tests.world.netns import WorldError

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SSLYZE = Path("/opt/ncb-sslyze/bin/sslyze")
COUNTS = (1, 4, 50)
LIMIT = 300.0  # seconds one command may take before it is killed (by its PID)
BLACKHOLE_TIMEOUT = "3"
SHIPPED_NAME = "shipped-plus-minted.yaml"  # the shipped catalogue plus the minted CAs
# The exporter's workload: `check --region westeurope` without IDs, as /probe?region=westeurope
DEFAULT_REGION = "westeurope"
EXPORTER = "127.0.0.1:10115"  # in ncb-client, on its own loopback
EXPORTER_READY = 20.0


@dataclass(frozen=True)
class Plan:
    healthy: list[Case]
    blackholed: list[Case]  # every endpoint dropped; the resolver still answers
    silent: list[Case]  # every endpoint and the resolver dropped
    startup: list[Case]  # no network at all, outside the world

    def all(self) -> list[Case]:
        return [*self.healthy, *self.blackholed, *self.silent, *self.startup]


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


def all_regions_urls(with_ids: bool = False) -> list[str]:
    """What `check --all-regions` probes (canaries aside), as URLs for curl."""
    catalogue = load_catalogue(None)
    workspace, account = (
        (catalogues.WORKSPACE_ID, catalogues.ACCOUNT_ID) if with_ids else (None, None)
    )
    selection = Selection(
        region=catalogue.regions[0],
        deployments=deployments_for(workspace, account, with_ids, include_revocation=True),
        workspace_id=workspace,
        account_id=account,
        all_regions=True,
    )
    return urls_of(selection)


def default_selection_urls() -> list[str]:
    """What `check --region westeurope` (and so /probe?region=westeurope) probes, canaries
    aside, as URLs for curl."""
    catalogue = load_catalogue(None)
    return urls_of(selection_for(catalogue, DEFAULT_REGION, None, None, False, True))


def urls_of(selection: Selection) -> list[str]:
    return [
        f"{'http' if t.port == 80 else 'https'}://{t.host}/"
        for t in probe_targets(expand(load_catalogue(None), selection))
        if t.skip_reason is None
    ]


def loop(command: str, hosts: Sequence[str]) -> list[str]:
    """One process after another, as a shell script would run them."""
    script = f'for h in "$@"; do {command} >/dev/null 2>&1 </dev/null; done'
    return in_client("sh", "-c", script, "loop", *hosts)


def curl_parallel(roots: Path, urls: Sequence[str], *extra: str) -> list[str]:
    outputs = [arg for url in urls for arg in ("-o", "/dev/null", url)]
    return in_client(
        "curl",
        "--parallel",
        "--parallel-immediate",
        "--parallel-max",
        "64",
        "-sS",
        "--no-progress-meter",
        "--cacert",
        str(roots),
        *extra,
        *outputs,
    )


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
    default_urls = default_selection_urls()
    healthy += [
        Case(
            "exporter-probe",
            "default selection",
            "curl to a running netcheck exporter: /probe?region=westeurope",
            in_client("curl", "-sS", "--fail", "-o", "/dev/null", exporter_probe_url()),
            len(default_urls),
        ),
        Case(
            "netcheck-default",
            "default selection",
            "netcheck check --region westeurope",
            netcheck_check("--region", DEFAULT_REGION, "--catalogue", str(shipped), *trust),
            len(default_urls),
        ),
        Case(
            "curl-parallel-default",
            "default selection",
            "curl --parallel",
            curl_parallel(roots, default_urls),
            len(default_urls),
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
    return Plan(healthy, blackholed, silent, startup)


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
    return f"http://{EXPORTER}/probe?region={DEFAULT_REGION}&module=bench"


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


def run_rounds(the_plan: Plan, runs: int, log: Path) -> None:
    """Every round runs every case once, so slow drifts of the machine hit all tools alike."""
    for number in range(1, runs + 1):
        label = f"round {number}/{runs}"
        measure(the_plan.healthy, log, label)
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
            with exporter_running(folder, folder / SHIPPED_NAME, built.roots):
                run_rounds(the_plan, args.runs, log)
            dead = built.dead_daemons()
            if dead:
                print(f"bench: daemons died during the run: {dead}", file=sys.stderr)
        command = "python bench/run.py " + shlex.join(argv if argv is not None else sys.argv[1:])
        text = report.render(
            the_plan.all(), machine, rtt, args.runs, command.strip(), concurrency_option()
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
