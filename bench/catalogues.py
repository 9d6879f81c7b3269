"""The catalogues the benchmark probes, and every host name the world must serve for them."""

from __future__ import annotations

from pathlib import Path

import yaml

from netcheck.catalogue import load_catalogue
from netcheck.expand import Selection, deployments_for, expand, probe_targets
from tests.world.catalogue import one_region_catalogue, write_shipped_with
from tests.world.pki import Issued

REGION = "benchland"
# IDs for the run that covers every per-workspace and per-account host of every region.
WORKSPACE_ID = "1f2e3d4c-5b6a-7980-1a2b-3c4d5e6f7a8b"
ACCOUNT_ID = "4f3e2d1c-0b9a-8765-4321-0fedcba98765"
SOURCE = "netcheck benchmark (generated)"


def bench_host(index: int) -> str:
    return f"t{index:03}.bench.azure-automation.net"


def write_generated(path: Path, count: int, authorities: tuple[Issued, ...]) -> Path:
    """A one-region catalogue with `count` concrete HTTPS endpoints and nothing else."""
    data = one_region_catalogue(
        region=REGION,
        display_name="Benchland",
        code="bl",
        cloud_name="Benchmark cloud",
        endpoints=[
            {
                "id": f"bench-{i:03}",
                "pattern": bench_host(i),
                "port": 443,
                "purpose": "benchmark target",
                "deployments": ["agent", "extension"],
            }
            for i in range(1, count + 1)
        ],
        authorities=authorities,
        source=SOURCE,
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def write_shipped(path: Path, authorities: tuple[Issued, ...]) -> Path:
    """The shipped catalogue, with the minted CAs counted as Microsoft's (as the tests do)."""
    return write_shipped_with(path, authorities)


def shipped_hosts() -> list[str]:
    """Every concrete host of every region of the shipped catalogue, IDs given, all
    deployments: a superset of what any benchmarked run probes (canaries aside)."""
    catalogue = load_catalogue(None)
    hosts: set[str] = set()
    for region in catalogue.regions:
        selection = Selection(
            region=region,
            deployments=deployments_for(WORKSPACE_ID, ACCOUNT_ID, True, include_revocation=True),
            workspace_id=WORKSPACE_ID,
            account_id=ACCOUNT_ID,
        )
        for target in probe_targets(expand(catalogue, selection)):
            if target.skip_reason is None and not target.host.startswith("*."):
                hosts.add(target.host)
    return sorted(hosts)
