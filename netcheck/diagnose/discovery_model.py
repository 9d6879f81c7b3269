"""What discovery found: the installed workers, their settings, services and proxies."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from netcheck.diagnose.proxy_choice import ProxyCandidate
from netcheck.diagnose.redact import redact_text
from netcheck.models import Deployment


class WorkerKind(str, enum.Enum):
    AGENT_LINUX = "agent-based-linux"
    EXTENSION_LINUX = "extension-based-linux"
    AGENT_WINDOWS = "agent-based-windows"
    EXTENSION_WINDOWS = "extension-based-windows"

    @property
    def family(self) -> str:
        """ "agent-based" or "extension-based", as the supported-OS lists are named."""
        return self.value.rsplit("-", 1)[0]


class ServiceStatus(str, enum.Enum):
    RUNNING = "running"
    STOPPED = "stopped"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Service:
    name: str
    status: ServiceStatus
    how: str  # how the status was learnt
    detail: str | None = None
    fix: str = ""  # how to start it and find out why it stopped


@dataclass(frozen=True)
class Setting:
    name: str
    value: str
    source: str

    @classmethod
    def redacted(cls, name: str, value: str, source: str) -> Setting:
        """A setting as read, with any secret in its value masked."""
        return cls(name, redact_text(value), source)


@dataclass(frozen=True, kw_only=True)
class Worker:
    kind: WorkerKind
    deployments: frozenset[Deployment]
    found: tuple[str, ...]  # what shows it is installed
    registered: bool | None  # None: cannot tell
    settings: tuple[Setting, ...] = ()
    services: tuple[Service, ...] = ()
    proxies: tuple[ProxyCandidate, ...] = field(default=(), repr=False)
    unknown: tuple[str, ...] = ()  # what exists but could not be read, and why
    files: tuple[str, ...] = ()  # configuration files read (host paths)


@dataclass(frozen=True)
class Unreadable:
    """A setting or log that exists but cannot be read or parsed, shown as it was found."""

    what: str  # what it is for: "WinHTTP proxy", "event 4502"
    where: str  # the registry value, the command
    raw: str  # the value as found (hex for binary), cut to a readable length
    why: str


@dataclass(frozen=True)
class CommandOutput:
    argv: tuple[str, ...]
    text: str


@dataclass(frozen=True, kw_only=True)
class Discovery:
    workers: tuple[Worker, ...]
    looked_for: tuple[str, ...]  # where netcheck looked, to say what it did not find
    # The machine's proxy settings as the worker's account sees them, in precedence order
    # (Windows: WinHTTP, then LocalSystem's WinINET).
    machine_proxies: tuple[ProxyCandidate, ...] = ()
    outputs: tuple[CommandOutput, ...] = ()  # Windows command output, for the support bundle
    problems: tuple[Unreadable, ...] = ()

    def setting(self, name: str) -> Setting | None:
        return next((s for w in self.workers for s in w.settings if s.name == name), None)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for w in self.workers for f in w.files))


@dataclass(frozen=True)
class Process:
    pid: str
    command: str
