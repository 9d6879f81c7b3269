"""Whether a Linux worker's services run: systemd's word when it can be asked, else /proc."""

from __future__ import annotations

from collections.abc import Iterable

from netcheck.commands import Runner
from netcheck.diagnose.discovery_model import Process, Service, ServiceStatus
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.redact import redact_text


def processes(files: HostFiles) -> list[Process] | None:
    """Command lines of the processes in the root's /proc; None when there is none."""
    proc = files.at("/proc")
    if not proc.is_dir():
        return None
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended, or is not ours to read
        if raw:
            found.append(
                Process(entry.name, raw.replace(b"\0", b" ").decode(errors="replace").strip())
            )
    return sorted(found, key=lambda p: int(p.pid))


def service_status(
    name: str,
    units: list[str],
    markers: tuple[str, ...],
    files: HostFiles,
    runner: Runner | None,
    procs: list[Process] | None,
    fix: str,
) -> Service:
    """systemd's word when there is a runner and the unit is loaded, else a process scan."""
    if runner is not None:
        for unit in units:
            # `show` rather than `is-active`: is-active says "inactive" for a unit that does not
            # exist, and only LoadState tells the two apart.
            done = runner(["systemctl", "show", "--property=LoadState,ActiveState", unit])
            state = _systemd_state(done.stdout if done is not None else None)
            if state is not None and state[0] == "loaded":
                status = {
                    "active": ServiceStatus.RUNNING,
                    "reloading": ServiceStatus.RUNNING,
                    "activating": ServiceStatus.UNKNOWN,
                }.get(state[1], ServiceStatus.STOPPED)
                return Service(
                    name, status, f"systemctl show {unit}", f"ActiveState={state[1]}", fix
                )
    if procs is None:
        return Service(name, ServiceStatus.UNKNOWN, "process scan", "no /proc below the root", fix)
    hits = [p for p in procs if any(m in p.command for m in markers)]
    how = f"process scan of /proc for {' or '.join(markers)}"
    if not hits:
        return Service(name, ServiceStatus.STOPPED, how, "no such process", fix)
    detail = "; ".join(f"pid {p.pid}: {redact_text(p.command)[:200]}" for p in hits[:3])
    return Service(name, ServiceStatus.RUNNING, how, detail, fix)


def _systemd_state(output: str | None) -> tuple[str, str] | None:
    if not output:
        return None
    values = dict(key_values(output))
    if "LoadState" not in values or "ActiveState" not in values:
        return None  # no systemd here ("System has not been booted with systemd")
    return values["LoadState"], values["ActiveState"]


def key_values(text: str) -> Iterable[tuple[str, str]]:
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            yield key.strip(), value.strip().strip("\"'")
