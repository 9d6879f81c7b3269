"""Probe tests run on two event loops: this platform's, and one without readiness callbacks.

Windows' default loop (the proactor) has no add_reader or add_writer; the probes must use only
the loop's socket calls, which every loop has. Windows cannot run here, so the second loop is
the selector loop with those callbacks refused, as the proactor refuses them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest


class NoReadinessLoop(asyncio.SelectorEventLoop):
    """Refuses what the proactor lacks; its own socket calls still work (they use the
    selector's private methods, as the proactor uses its completion port)."""

    def add_reader(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        raise NotImplementedError("the proactor has no add_reader")

    def add_writer(self, fd: Any, callback: Callable[..., object], *args: Any) -> None:
        raise NotImplementedError("the proactor has no add_writer")


@pytest.fixture(params=["this platform's loop", "a loop without readiness callbacks"])
def any_loop(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """netcheck.probes.event_loop.run makes its loop with asyncio.new_event_loop."""
    if request.param != "this platform's loop":
        monkeypatch.setattr(asyncio, "new_event_loop", NoReadinessLoop)
