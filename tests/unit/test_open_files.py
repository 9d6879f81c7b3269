"""check_run.open_files_for: the open-file limit is raised for the probes in flight, and where
the hard limit is too low for --concurrency, fewer probes fly at once (the others wait their
turn) instead of failing with "Too many open files". resource is faked: a test must not
change the limits of the process that runs the suite."""

from __future__ import annotations

import resource

import pytest

from netcheck.check_run import open_files_for


def limits(monkeypatch: pytest.MonkeyPatch, soft: int, hard: int) -> list[tuple[int, int]]:
    """Fake RLIMIT_NOFILE at (soft, hard); the list records what was set."""
    current = [(soft, hard)]

    def getrlimit(which: int) -> tuple[int, int]:
        assert which == resource.RLIMIT_NOFILE
        return current[-1]

    def setrlimit(which: int, value: tuple[int, int]) -> None:
        assert which == resource.RLIMIT_NOFILE
        if value[1] != resource.RLIM_INFINITY and value[0] > value[1]:
            raise ValueError("not allowed to raise maximum limit")
        current.append(value)

    monkeypatch.setattr(resource, "getrlimit", getrlimit)
    monkeypatch.setattr(resource, "setrlimit", setrlimit)
    return current


def test_the_soft_limit_is_raised_for_every_probe_in_flight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    current = limits(monkeypatch, 1024, 1048576)
    assert open_files_for(512) == 512
    assert current[-1] == (4 * 512 + 64, 1048576)


def test_a_low_hard_limit_means_fewer_probes_at_once_not_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    current = limits(monkeypatch, 256, 1024)
    assert open_files_for(512) == (1024 - 64) // 4
    assert current[-1] == (1024, 1024)


def test_a_limit_that_is_enough_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    current = limits(monkeypatch, 65536, 65536)
    assert open_files_for(512) == 512
    assert current == [(65536, 65536)]
    limits(monkeypatch, resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    assert open_files_for(1024) == 1024
