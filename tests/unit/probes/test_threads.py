"""The probes' executor (netcheck.probes.threads): every piece of work runs once, with at most
max_workers at a time, its result or exception in its future, and leaving the `with` block
waits for all of it."""

from __future__ import annotations

import threading
import time

import pytest

from netcheck.probes.threads import Threads


def test_results_in_their_futures() -> None:
    with Threads(4) as pool:
        futures = [pool.submit(pow, n, 2) for n in range(50)]
    assert [f.result() for f in futures] == [n * n for n in range(50)]


def test_an_exception_reaches_the_waiter_and_the_thread_goes_on() -> None:
    def fail() -> None:
        raise ValueError("boom")

    with Threads(1) as pool:
        failed = pool.submit(fail)
        after = pool.submit(lambda: "still here")
    with pytest.raises(ValueError, match="boom"):
        failed.result()
    assert after.result() == "still here"


def test_never_more_than_max_workers_at_once() -> None:
    lock = threading.Lock()
    running, peak = 0, 0

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1

    with Threads(3) as pool:
        futures = [pool.submit(work) for _ in range(20)]
    assert all(f.done() for f in futures)  # the with block waited for the queued work too
    assert peak == 3


def test_work_may_wait_on_work_of_another_pool() -> None:
    """A lookup waits on its AAAA half in the DNS pool: nothing deadlocks while that pool has
    room, however full the probe pool is."""
    with Threads(2) as probes, Threads(6) as lookups:
        outer = [probes.submit(lambda: lookups.submit(lambda: 7).result()) for _ in range(5)]
        assert [f.result() for f in outer] == [7] * 5


def test_no_work_after_shutdown_and_queued_work_can_be_cancelled() -> None:
    gate = threading.Event()
    pool = Threads(1)
    first = pool.submit(gate.wait, 5)
    queued = pool.submit(lambda: "never")
    pool.shutdown(wait=False, cancel_futures=True)
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
    gate.set()
    pool.shutdown()
    assert first.result() is True
    assert queued.cancelled()


def test_at_least_one_worker() -> None:
    with pytest.raises(ValueError):
        Threads(0)
