"""The session-wide test world for the end-to-end tests (tests/world/ builds it).

Only tests under tests/e2e/ see these fixtures: unit tests never build the world.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# tests/ is not a package; the world is imported as tests.world from the repository root
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.world import interceptors, pki, plan, scenarios
from tests.world import run as cli
from tests.world.interceptors import Interceptor
from tests.world.world import World, missing_prerequisites, running_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    reason = missing_prerequisites()
    if reason:
        pytest.skip(reason)
    started = time.monotonic()
    with running_world(tmp_path_factory.mktemp("world")) as built:
        sys.stderr.write(
            f"\n[test world built in {time.monotonic() - started:.1f}s: {built.folder}]\n"
        )
        yield built


@pytest.fixture(autouse=True)
def _world_still_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """A daemon that died makes every later failure a world bug: say so after each test."""
    yield
    if "world" in request.fixturenames:
        built: World = request.getfixturevalue("world")
        dead = built.dead_daemons()
        assert not dead, f"world daemons died during the test: {dead} (logs in {built.folder})"


@pytest.fixture(scope="session")
def scenario_run(world: World) -> tuple[cli.CliRun, dict[str, Any]]:
    """One direct run over every scenario of the scenario catalogue."""
    return cli.run_json(
        world,
        "--region",
        "testland",
        "--catalogue",
        str(world.scenario_catalogue("direct", scenarios.DIRECT)),
    )


def _running(
    world: World, missing: str | None, start: Callable[[], Interceptor]
) -> Iterator[Interceptor]:
    """An interceptor for the rest of the session, watched like the world's own daemons."""
    if missing:
        pytest.skip(missing)
    started = start()
    world.daemons.append(started.daemon)
    try:
        yield started
    finally:
        world.daemons.remove(started.daemon)
        started.stop()


@pytest.fixture(scope="session")
def mitm_known(world: World) -> Iterator[Interceptor]:
    """mitmdump with the CA mitmproxy generates for itself (CN=mitmproxy, O=mitmproxy)."""
    yield from _running(
        world,
        interceptors.missing_mitmproxy(),
        lambda: interceptors.start_mitmdump(
            "mitmdump-known",
            None,
            plan.MITM_KNOWN_PROXY_PORT,
            plan.MITM_KNOWN_TRANSPARENT_PORT,
            world.ca_bundle,
            world.folder,
        ),
    )


@pytest.fixture(scope="session")
def mitm_unknown(world: World) -> Iterator[Interceptor]:
    """mitmdump with an inspection CA whose name no signature list knows."""
    yield from _running(
        world,
        interceptors.missing_mitmproxy(),
        lambda: interceptors.start_mitmdump(
            "mitmdump-unknown",
            pki.root(*interceptors.UNKNOWN_CA),
            plan.MITM_UNKNOWN_PROXY_PORT,
            plan.MITM_UNKNOWN_TRANSPARENT_PORT,
            world.ca_bundle,
            world.folder,
        ),
    )


@pytest.fixture(scope="session")
def squid_bump(world: World) -> Iterator[Interceptor]:
    """squid-openssl bumping every CONNECT tunnel with a CA of the test's choosing."""
    yield from _running(
        world,
        interceptors.missing_squid(),
        lambda: interceptors.start_squid(
            pki.root(*interceptors.SQUID_CA), world.ca_bundle, world.folder
        ),
    )
