"""Headless Chromium in a namespace of its own (loopback only), driven over the DevTools
protocol on a pipe (--remote-debugging-pipe: no port, no WebSocket): load a page, record every
network request it makes, evaluate expressions in it.

The empty namespace means nothing the browser tries can leave the machine; the request log
means a test still sees every attempt, the page's own and any an injected element would make.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.world.netns import WorldError, kill_pids_in, sh

BROWSER_NS = "ncf-browser"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


def missing_prerequisites() -> str | None:
    if os.geteuid() != 0:
        return "the browser test needs root (a network namespace of its own)"
    if chromium_path() is None:
        return "needs chromium (Debian: apt-get install chromium)"
    return None


@dataclass
class PageVisit:
    """What loading one page did: the URLs it requested and the console and log messages."""

    requests: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)  # alert() and the like: a script ran


class Browser:
    """One Chromium process; `visit(path)` loads a file and returns what it requested."""

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # in the child, before exec: its fds 3 and 4 are the pipe
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        with log.open("wb") as out:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", BROWSER_NS, executable, "--headless", "--no-sandbox",
                 "--disable-gpu", "--remote-debugging-pipe", f"--user-data-dir={profile}",
                 "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps", "--mute-audio", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                pass_fds=(3, 4), preexec_fn=wire_pipes,
            )  # fmt: skip
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def _send(self, method: str, params: dict[str, Any], session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise WorldError("chromium did not answer over the DevTools pipe in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise WorldError("chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        if message.get("method") == "Page.javascriptDialogOpening":
            # a dialog holds the page (and its load event) until someone answers it
            self._send("Page.handleJavaScriptDialog", {"accept": True}, message.get("sessionId"))
        return message

    def call(
        self, method: str, params: dict[str, Any], session: str | None = None, wait: float = 20
    ) -> dict[str, Any]:
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + wait
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise WorldError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self._events.append(message)

    def _wait_for(self, method: str, session: str, wait: float = 20) -> None:
        deadline = time.monotonic() + wait
        while not any(
            e.get("method") == method and e.get("sessionId") == session for e in self._events
        ):
            self._events.append(self._receive(deadline))

    def visit(self, page: Path) -> tuple[PageVisit, Session]:
        """Load `page` in a new tab; returns what it requested, and the tab."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Network", "Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", {}, session)
        self._events.clear()
        self.call("Page.navigate", {"url": page.as_uri()}, session)
        self._wait_for("Page.loadEventFired", session)
        # anything late (a lazy image, a timer) has a moment to show itself
        with contextlib.suppress(WorldError):
            self._wait_for("never.happens", session, wait=0.5)
        visit = PageVisit()
        for event in self._events:
            params = event.get("params", {})
            if event.get("method") == "Network.requestWillBeSent":
                visit.requests.append(params["request"]["url"])
            elif event.get("method") == "Runtime.consoleAPICalled":
                visit.messages.append(" ".join(str(a.get("value")) for a in params["args"]))
            elif event.get("method") == "Log.entryAdded":
                visit.messages.append(params["entry"]["text"])
            elif event.get("method") == "Page.javascriptDialogOpening":
                visit.dialogs.append(params["message"])
            elif event.get("method") == "Runtime.exceptionThrown":
                visit.messages.append(json.dumps(params["exceptionDetails"])[:500])
        return visit, Session(self, session)

    def close(self) -> None:
        with contextlib.suppress(WorldError, OSError):
            self._send("Browser.close", {})
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)


@dataclass(frozen=True)
class Session:
    browser: Browser
    id: str

    def evaluate(self, expression: str) -> Any:
        result = self.browser.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, self.id
        )
        if "exceptionDetails" in result:
            raise WorldError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")


@contextlib.contextmanager
def running_browser(folder: Path) -> Iterator[Browser]:
    """Chromium in ncf-browser, a namespace with loopback only; all removed on exit."""
    executable = chromium_path()
    if executable is None:
        raise WorldError("chromium not found")
    _remove_namespace()
    sh("ip", "netns", "add", BROWSER_NS)
    browser = None
    try:
        sh("ip", "link", "set", "lo", "up", ns=BROWSER_NS)
        browser = Browser(executable, folder / "profile", folder / "chromium.log")
        yield browser
    finally:
        if browser is not None:
            browser.close()
        _remove_namespace()


def _remove_namespace() -> None:
    if BROWSER_NS in sh("ip", "netns", "list").stdout.split():
        kill_pids_in(BROWSER_NS)
        sh("ip", "netns", "del", BROWSER_NS, check=False)
