"""The probes' event loop: one thread carries every socket of a run, and getaddrinfo, which
can only block, runs in threads beside it.

Threads per probe made an --all-regions run (hundreds of probes) spend most of its time
handing the GIL from thread to thread; the loop does the same work in one thread. On Windows
asyncio's default loop is the proactor, which the probes need: they use only the loop's
socket calls, never its readiness callbacks, which the proactor lacks.
"""

from __future__ import annotations

import _thread
import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

# The running run's bound on blocking calls at once; each run (the exporter runs several at
# once, each in its own thread and loop) has its own.
_slots: ContextVar[asyncio.Semaphore] = ContextVar("netcheck_blocking_slots")


def run(main: Coroutine[Any, Any, T], threads: int) -> T:
    """Run `main` on a new event loop, with up to `threads` blocking calls at once.

    Unlike asyncio.run, leaving does not wait for those calls: a getaddrinfo stuck in the
    operating system must not hold back a finished run.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(loop.create_task(_bounded(threads, main)))
    finally:
        # after Ctrl-C, a failure, or a call left waiting: nothing of the run outlives its loop
        _cancel_all(loop)
        loop.close()


async def _bounded(threads: int, main: Coroutine[Any, Any, T]) -> T:
    _slots.set(asyncio.Semaphore(max(1, threads)))  # in this task's context, which every
    return await main  # task it creates inherits


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


async def in_thread(work: Callable[..., T], *args: object) -> T:
    """`work(*args)` in a thread of its own, awaited on the loop.

    The thread is started with _thread.start_new_thread, which returns at once: Thread.start()
    waits until the new thread has run its first lines, which needs the GIL the loop holds,
    and a thread pool's lock is one more thing for the loop and the threads to queue for.
    Such a thread does not keep the interpreter alive, and once its run is over (the loop
    closed) its answer goes nowhere.
    """
    loop = asyncio.get_running_loop()
    async with _slots.get():
        done: asyncio.Future[T] = loop.create_future()
        _thread.start_new_thread(_call, (loop, done, work, args))
        return await done


def _call(
    loop: asyncio.AbstractEventLoop,
    done: asyncio.Future[T],
    work: Callable[..., T],
    args: tuple[object, ...],
) -> None:
    try:
        result = work(*args)
    except BaseException as exc:  # the waiter hears of it, as from the call itself
        settle = functools.partial(_fail, done, exc)
    else:
        settle = functools.partial(_resolve, done, result)
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        loop.call_soon_threadsafe(settle)


def _resolve(done: asyncio.Future[T], result: T) -> None:
    if not done.cancelled():
        done.set_result(result)


def _fail(done: asyncio.Future[T], exc: BaseException) -> None:
    if not done.cancelled():
        done.set_exception(exc)
