"""The probes' event loop (netcheck.probes.event_loop): blocking calls in threads of their own,
at most the run's bound at once, their results and exceptions awaited on the loop, and a run
that neither waits for a call stuck in the operating system nor leaves tasks behind."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any

import pytest

from netcheck.probes import event_loop


def test_results_and_exceptions_come_back_on_the_loop() -> None:
    def fail() -> None:
        raise ValueError("boom")

    async def main() -> tuple[list[int], str]:
        squares = await asyncio.gather(*(event_loop.in_thread(pow, n, 2) for n in range(50)))
        try:
            await event_loop.in_thread(fail)
        except ValueError as exc:
            return list(squares), str(exc)
        return list(squares), "no exception"

    assert event_loop.run(main(), threads=8) == ([n * n for n in range(50)], "boom")


def test_never_more_blocking_calls_at_once_than_the_bound() -> None:
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

    async def main() -> None:
        await asyncio.gather(*(event_loop.in_thread(work) for _ in range(20)))

    event_loop.run(main(), threads=3)
    assert peak == 3


def test_a_run_does_not_wait_for_a_stuck_call_and_its_late_answer_goes_nowhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """getaddrinfo can hang in the operating system; the run ends without it, and the thread,
    answering after the loop has closed, reports nothing."""
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    gate = threading.Event()
    finished = threading.Event()

    def stuck() -> None:
        gate.wait(5)
        finished.set()

    async def main() -> str:
        pending = asyncio.ensure_future(event_loop.in_thread(stuck))
        await asyncio.sleep(0.05)
        return "done" if not pending.done() else "the stuck call ended"

    started = time.monotonic()
    assert event_loop.run(main(), threads=2) == "done"
    assert time.monotonic() - started < 2
    gate.set()
    assert finished.wait(5)
    time.sleep(0.05)  # the thread's last lines: its answer to a closed loop
    assert unraisable == []


def test_a_failed_run_cancels_what_it_started() -> None:
    cancelled = []

    async def waiter() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def main() -> None:
        started = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)
        raise KeyError(f"failed with {started.get_name()} pending")

    with pytest.raises(KeyError):
        event_loop.run(main(), threads=1)
    assert cancelled == [True]
