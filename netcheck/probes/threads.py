"""An executor whose threads start without a handshake, for a run's hundreds of getaddrinfo
calls (the only blocking calls of the probes, netcheck.probes.event_loop).

threading.Thread.start() waits until the new thread has run its first Python lines, which
needs the GIL; while the event loop keeps the GIL busy, each start costs the loop up to a
switch interval (5 ms). ThreadPoolExecutor starts one thread per submit, so the first wave of
an --all-regions run (270 names) would wait on starts, one after another. These threads are
started with _thread.start_new_thread, which returns at once; a finished thread takes the
next queued work, as ThreadPoolExecutor's do.
"""

from __future__ import annotations

import _thread
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_Work = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class Threads(Executor):
    """Up to `max_workers` threads at once; more work waits in a queue, in order.

    As with ThreadPoolExecutor, leaving the `with` block waits for every piece of work. Unlike
    its threads, these do not keep the interpreter alive at exit: netcheck waits for its work
    before it leaves, and a probe stuck in a system call must not hold the exit back.
    """

    def __init__(self, max_workers: int) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._max = max_workers
        self._lock = threading.Lock()
        self._all_done = threading.Condition(self._lock)
        self._queue: deque[_Work] = deque()
        self._running = 0
        self._shut = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        work: _Work = (future, fn, args, kwargs)
        with self._lock:
            if self._shut:
                raise RuntimeError("cannot submit work after shutdown")
            start = self._running < self._max
            if start:
                self._running += 1
            else:
                self._queue.append(work)
        if start:
            try:
                _thread.start_new_thread(self._work, (work,))
            except BaseException:  # no thread to be had: the caller hears of it, as from submit
                with self._lock:
                    self._leave()
                raise
        return future

    def _work(self, work: _Work | None) -> None:
        while work is not None:
            future, fn, args, kwargs = work
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # the future carries it to whoever waits
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del future, fn, args, kwargs  # nothing of finished work is kept alive while idle
            # Taking the next work and leaving are one step under the lock, so that work
            # queued meanwhile always finds a thread.
            with self._lock:
                work = self._queue.popleft() if self._queue else None
                if work is None:
                    self._leave()

    def _leave(self) -> None:
        """One thread fewer; called with the lock held."""
        self._running -= 1
        if self._running == 0:
            self._all_done.notify_all()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shut = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft()[0].cancel()
            if wait:
                while self._running:
                    self._all_done.wait()
