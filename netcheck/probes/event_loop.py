"""The probes' event loop: one thread carries every socket of a run, and getaddrinfo, which
can only block, runs in threads beside it.

Threads per probe made an --all-regions run (hundreds of probes) spend most of its time
handing the GIL from thread to thread; the loop does the same work in one thread. On Windows
asyncio's default loop is the proactor, which the probes need: they use only the loop's
socket calls, never its readiness callbacks, which the proactor lacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from contextvars import ContextVar
from typing import Any, TypeVar

from netcheck.probes.threads import Threads

T = TypeVar("T")

# The running probe run's threads for blocking calls; each run (the exporter runs several at
# once, each in its own thread and loop) has its own.
_threads: ContextVar[Executor] = ContextVar("netcheck_probe_threads")


def run(main: Coroutine[Any, Any, T], threads: int) -> T:
    """Run `main` on a new event loop, with up to `threads` threads for blocking calls.

    Unlike asyncio.run, leaving does not wait for those threads: a getaddrinfo stuck in the
    operating system must not hold back a finished run (they are daemon threads).
    """
    loop = asyncio.new_event_loop()
    pool = Threads(max(1, threads))
    try:
        task = loop.create_task(_with_threads(pool, main))
        try:
            return loop.run_until_complete(task)
        except BaseException:  # Ctrl-C or a failure: nothing of the run outlives its loop
            _cancel_all(loop)
            raise
    finally:
        pool.shutdown(wait=False)
        loop.close()


async def _with_threads(pool: Executor, main: Coroutine[Any, Any, T]) -> T:
    _threads.set(pool)  # in this task's context, which every task it creates inherits
    return await main


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


async def in_thread(work: Callable[..., T], *args: object) -> T:
    """`work(*args)` in one of the run's threads, awaited on the loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_threads.get(), work, *args)
