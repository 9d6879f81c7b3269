"""Host facts (OS, CPU, memory, disk, the TLS stack) and their verdicts against the documented
minimums of a Hybrid Runbook Worker. Windows facts are gathered in windows_host.py."""

from __future__ import annotations

import shutil
import ssl
from dataclasses import dataclass

from netcheck.diagnose.discovery_model import Unreadable
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.verdicts import unreadable
from netcheck.findings import codes
from netcheck.findings.base import finding
from netcheck.models import Finding

MIN_CORES = 2
MIN_MEMORY_GB = 4
# MemTotal leaves out what firmware and kernel reserve: a machine with 4 GB installed reports
# about 3.7 to 3.9 GiB. Below 3.5 GiB it cannot be a 4 GB machine.
_MEMORY_FLOOR = 3.5 * 1024**3
# Microsoft documents no minimum disk size; job sandboxes, modules and logs need some room, and
# below this a worker is likely to fail in ways that look like anything but a full disk.
DISK_WARN_BYTES = 1024**3

# Supported Linux distributions by worker type, as os-release ID and VERSION_ID prefix.
# Extension-based: the 04/10/2023 install doc (Debian 12 is on the undated live page only).
# Agent-based: the 2020 install doc.
SUPPORTED_LINUX: dict[str, tuple[tuple[str, str], ...]] = {
    "extension-based": (
        *(("debian", v) for v in ("8", "9", "10", "11", "12")),
        *(("ubuntu", v) for v in ("18.04", "20.04", "22.04")),
        ("sles", "15.2"),
        ("sles", "15.3"),
        *(("rhel", v) for v in ("7", "8")),
        *(("ol", v) for v in ("7", "8")),
    ),
    "agent-based": (
        *(
            ("amzn", v)
            for v in ("2012.09", "2013.03", "2013.09", "2014.03", "2014.09", "2015.03", "2015.09")
        ),
        *(("centos", v) for v in ("5", "6", "7")),
        *(("ol", v) for v in ("5", "6", "7")),
        *(("rhel", v) for v in ("5", "6", "7")),
        *(("debian", v) for v in ("6", "7", "8")),
        *(("ubuntu", v) for v in ("12.04", "14.04", "16.04", "18.04")),
        *(("sles", v) for v in ("11", "12")),
    ),
}
# The date of the install doc each list comes from, named in the finding.
_LIST_DATES = {"extension-based": "2023", "agent-based": "2020"}


@dataclass(frozen=True)
class OsInfo:
    id: str
    version_id: str
    name: str
    source: str


@dataclass(frozen=True)
class TlsLibrary:
    """The TLS library netcheck itself runs with; on a live Linux host, the system's OpenSSL."""

    version: str
    tls1_2: bool
    tls1_3: bool


@dataclass(frozen=True)
class WindowsTls:
    """Whether Windows' TLS stack, which the worker uses (SCHANNEL, through .NET), speaks
    TLS 1.2: SCHANNEL's client setting and .NET's SchUseStrongCrypto per framework key."""

    tls12_client: str  # "enabled", "disabled", "disabled by default", "... (OS default)", "unknown"
    enabled: int | None  # SCHANNEL ...\TLS 1.2\Client Enabled, None when not set
    disabled_by_default: int | None
    strong_crypto: dict[str, int | None]  # .NET key -> SchUseStrongCrypto (None: not set)
    system_default_tls: dict[str, int | None]  # .NET key -> SystemDefaultTlsVersions


@dataclass(frozen=True)
class HostFacts:
    os: OsInfo | None
    cpu_cores: int | None
    memory_bytes: int | None
    disk_path: str
    disk_free_bytes: int | None
    tls: TlsLibrary  # netcheck's own; it judges the host only where the worker uses OpenSSL
    unknown: tuple[str, ...] = ()  # facts that could not be read, and why
    windows_tls: WindowsTls | None = None
    problems: tuple[Unreadable, ...] = ()  # values found but unreadable, shown raw

    def supported_for(self) -> tuple[str, ...]:
        """The worker types whose supported-OS list names this OS."""
        if self.os is None or self.os.id == "windows":
            return ()
        return tuple(
            kind
            for kind, listed in SUPPORTED_LINUX.items()
            if any(_same_release(self.os, os_id, version) for os_id, version in listed)
        )


def _same_release(os: OsInfo, os_id: str, version: str) -> bool:
    return os.id == os_id and (os.version_id == version or os.version_id.startswith(version + "."))


def local_tls() -> TlsLibrary:
    return TlsLibrary(ssl.OPENSSL_VERSION, ssl.HAS_TLSv1_2, ssl.HAS_TLSv1_3)


def parse_os_release(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            values[key] = value.strip().strip("\"'")
    return values


def count_cpus(cpuinfo: str) -> int | None:
    """Logical processors: one "processor : N" stanza each."""
    count = sum(1 for line in cpuinfo.splitlines() if line.split(":")[0].strip() == "processor")
    return count or None


def memory_total(meminfo: str) -> int | None:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                return int(fields[1]) * 1024  # the kernel's "kB" is KiB
    return None


def gather(files: HostFiles, tls: TlsLibrary) -> HostFacts:
    unknown = []
    os_info = None
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        text = files.read(path)
        if text is not None:
            values = parse_os_release(text)
            os_info = OsInfo(
                values.get("ID", "").lower(),
                values.get("VERSION_ID", ""),
                values.get("PRETTY_NAME") or values.get("NAME", ""),
                path,
            )
            break
    else:
        unknown.append("operating system: no /etc/os-release or /usr/lib/os-release")
    cpuinfo = files.read("/proc/cpuinfo")
    cores = count_cpus(cpuinfo) if cpuinfo is not None else None
    if cores is None:
        unknown.append("CPU cores: /proc/cpuinfo is missing or lists no processor")
    meminfo = files.read("/proc/meminfo")
    memory = memory_total(meminfo) if meminfo is not None else None
    if memory is None:
        unknown.append("memory: /proc/meminfo is missing or has no MemTotal")
    # The worker keeps its state, sandboxes and logs under /var (Linux); else the root itself.
    disk = "/var" if files.at("/var").is_dir() else "/"
    try:
        free: int | None = shutil.disk_usage(files.at(disk)).free
    except OSError as exc:
        free = None
        unknown.append(f"free disk on {disk}: {exc.strerror}")
    return HostFacts(os_info, cores, memory, disk, free, tls, tuple(unknown))


def judge(facts: HostFacts, worker_types: tuple[str, ...]) -> list[Finding]:
    """Verdicts on the facts; `worker_types` ("agent-based", "extension-based") are those found,
    and a Linux OS is judged against their lists (against every list when none was found)."""
    found = unreadable(facts.problems)
    if facts.os is not None and facts.os.id and facts.os.id != "windows":
        wanted = worker_types or tuple(SUPPORTED_LINUX)
        supported = facts.supported_for()
        if not set(wanted) & set(supported):
            described = facts.os.name or f"{facts.os.id} {facts.os.version_id}"
            found.append(
                finding(
                    codes.HOST_OS_UNSUPPORTED,
                    f"{described} is not on Microsoft's supported list for "
                    + " or ".join(f"{w} workers ({_LIST_DATES[w]})" for w in wanted),
                    os_id=facts.os.id,
                    version_id=facts.os.version_id,
                    supported_for=list(supported),
                    source=facts.os.source,
                )
            )
    if facts.cpu_cores is not None and facts.cpu_cores < MIN_CORES:
        text = f"this host has {facts.cpu_cores} CPU core(s); a worker needs at least {MIN_CORES}"
        found.append(finding(codes.HOST_CPU_LOW, text, cores=facts.cpu_cores, minimum=MIN_CORES))
    if facts.memory_bytes is not None and facts.memory_bytes < _MEMORY_FLOOR:
        text = (
            f"this host has {gib(facts.memory_bytes)} of memory; a worker needs {MIN_MEMORY_GB} GB"
        )
        found.append(
            finding(
                codes.HOST_MEMORY_LOW,
                text,
                memory_bytes=facts.memory_bytes,
                minimum_gb=MIN_MEMORY_GB,
            )
        )
    if facts.disk_free_bytes is not None and facts.disk_free_bytes < DISK_WARN_BYTES:
        text = f"only {gib(facts.disk_free_bytes)} free on {facts.disk_path}"
        found.append(
            finding(
                codes.HOST_DISK_LOW, text, free_bytes=facts.disk_free_bytes, path=facts.disk_path
            )
        )
    if facts.windows_tls is not None:
        found += _judge_windows_tls(facts.windows_tls)
    elif not facts.tls.tls1_2:
        found.append(
            finding(
                codes.HOST_TLS_UNSUPPORTED,
                f"the local TLS library ({facts.tls.version}) cannot speak TLS 1.2",
                library=facts.tls.version,
            )
        )
    return found


def _judge_windows_tls(tls: WindowsTls) -> list[Finding]:
    """SCHANNEL without TLS 1.2 for clients, or .NET told not to use strong cryptography,
    leaves the worker unable to reach Azure; an unset value is the OS's or .NET's default."""
    reasons = []
    if tls.tls12_client.startswith("disabled by default"):
        opted_in = [k for k, v in tls.strong_crypto.items() if "v4.0" in k and v == 1]
        if not opted_in:
            reasons.append(
                "SCHANNEL offers TLS 1.2 to clients only when they ask for it "
                f"(DisabledByDefault={tls.disabled_by_default}) and no .NET 4 key sets "
                "SchUseStrongCrypto=1"
            )
    elif tls.tls12_client.startswith("disabled"):
        reasons.append(
            f"TLS 1.2 is {tls.tls12_client} for clients in SCHANNEL (Enabled={tls.enabled})"
        )
    refused = [k for k, v in tls.strong_crypto.items() if "v4.0" in k and v == 0]
    if refused:
        reasons.append(f"SchUseStrongCrypto=0 under {', '.join(refused)}")
    if not reasons:
        return []
    return [
        finding(
            codes.HOST_TLS_UNSUPPORTED,
            "Windows' TLS stack will not give the worker TLS 1.2: " + "; ".join(reasons),
            tls12_client=tls.tls12_client,
            enabled=tls.enabled,
            disabled_by_default=tls.disabled_by_default,
            strong_crypto=tls.strong_crypto,
            system_default_tls=tls.system_default_tls,
        )
    ]


def gib(count: int) -> str:
    return f"{count / 1024**3:.1f} GiB"
