"""The host's files below --root: a live system at /, a mounted disk image, or a test fixture."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath


@dataclass(frozen=True)
class HostFiles:
    """Paths are written as the host knows them ("/etc/os-release") and looked up below root."""

    root: Path

    def at(self, host_path: str) -> Path:
        return self.root.joinpath(*PurePosixPath(host_path).parts[1:])

    def shown(self, path: Path) -> str:
        """The host's own name for a path found below root."""
        return "/" + path.relative_to(self.root).as_posix()

    @property
    def windows(self) -> bool:
        """Whether the root holds a Windows installation (a live C:\\ or an offline disk)."""
        return self.at("/Windows/System32").is_dir()

    def exists(self, host_path: str) -> bool:
        return self.at(host_path).exists()

    def glob(self, pattern: str) -> list[str]:
        """Host paths matching a glob written from the host's root (e.g. "/etc/*/conf")."""
        relative = pattern.lstrip("/")
        return sorted(self.shown(p) for p in self.root.glob(relative))

    def read(self, host_path: str, tail: int | None = None) -> str | None:
        """The file's text (its last `tail` bytes, cut at a line start), or None if unreadable."""
        try:
            with self.at(host_path).open("rb") as handle:
                if tail is None:
                    data = handle.read()
                else:
                    size = handle.seek(0, 2)
                    handle.seek(max(0, size - tail))
                    data = handle.read()
                    if size > tail:
                        data = data.partition(b"\n")[2]  # the first line is cut in half
        except OSError:
            return None
        return data.decode("utf-8", errors="replace")

    def problem(self, host_path: str) -> str | None:
        """Why an existing file cannot be read (permissions, a directory), or None."""
        path = self.at(host_path)
        if not path.exists():
            return None
        try:
            with path.open("rb"):
                return None
        except OSError as exc:
            return exc.strerror or type(exc).__name__


def default_root(platform: str, environment: Mapping[str, str]) -> str:
    """The running system's root: "/", or on Windows the system drive (%SystemDrive%\\), which
    need not be the current drive."""
    if platform != "win32":
        return "/"
    return str(PureWindowsPath(environment.get("SystemDrive", "C:") + "\\"))


def is_system_root(
    root: str,
    platform: str,
    environment: Mapping[str, str],
    absolute: Callable[[str], str] = os.path.abspath,
) -> bool:
    """Whether `root` is the running system's root, so that its services, registry and
    commands are the ones to ask. Windows paths compare as Windows compares them: without
    regard to case, and "C:" is the drive's current folder, not its root."""
    system = default_root(platform, environment)
    if platform == "win32":
        return PureWindowsPath(absolute(root)) == PureWindowsPath(system)
    return Path(root).resolve() == Path(system).resolve()
