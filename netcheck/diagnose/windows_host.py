"""Windows host facts from the registry: the OS and its build, SCHANNEL's TLS 1.2 client
setting, .NET's strong cryptography, and free space on the system drive.

Registry locations: CurrentVersion (ProductName, DisplayVersion, CurrentBuildNumber, UBR);
SCHANNEL per https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings;
.NET per https://learn.microsoft.com/dotnet/framework/network-programming/tls .
"""

from __future__ import annotations

import shutil

from netcheck.diagnose.discovery_model import Unreadable
from netcheck.diagnose.host import HostFacts, OsInfo, TlsLibrary, WindowsTls
from netcheck.diagnose.hostfs import HostFiles
from netcheck.diagnose.windows_registry import Registry, Values, dword, text

CURRENT_VERSION = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
TLS12_CLIENT = (
    r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client"
)
DOTNET_KEYS = (
    r"HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319",
    r"HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319",
    r"HKLM\SOFTWARE\Microsoft\.NETFramework\v2.0.50727",
    r"HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v2.0.50727",
)
# Windows 8 / Server 2012 (build 9200) and later enable TLS 1.2 for clients by default;
# Windows 7 / Server 2008 R2 (7601) do not.
_TLS12_DEFAULT_BUILD = 9200


def gather_windows(
    files: HostFiles, registry: Registry | None, tls: TlsLibrary, cpu_cores: int | None
) -> HostFacts:
    """The facts of a Windows host; without a registry (an offline disk) only the disk."""
    unknown: list[str] = []
    problems: list[Unreadable] = []
    try:
        free: int | None = shutil.disk_usage(files.root).free
    except OSError as exc:
        free = None
        unknown.append(f"free disk on {files.root}: {exc.strerror}")
    unknown.append("memory: not read on Windows")
    if registry is None:
        unknown.append(
            "operating system and TLS settings: the registry is read only on the running system"
        )
        return HostFacts(
            None, cpu_cores, None, str(files.root), free, tls, tuple(unknown), None, ()
        )
    reader = _Reader(registry, problems, unknown)
    os_info = _os_info(reader)
    build = int(os_info.version_id.split(".")[0]) if os_info and os_info.version_id else None
    windows_tls = _windows_tls(reader, build)
    return HostFacts(
        os_info,
        cpu_cores,
        None,
        str(files.root),
        free,
        tls,
        tuple(unknown),
        windows_tls,
        tuple(problems),
    )


class _Reader:
    """Reads keys and values, turning an unreadable key or a value of the wrong type into an
    Unreadable with the raw value, never an exception."""

    def __init__(self, registry: Registry, problems: list[Unreadable], unknown: list[str]):
        self.registry = registry
        self.problems = problems
        self.unknown = unknown

    def values(self, key: str) -> Values | None:
        try:
            return self.registry.values(key)
        except OSError as exc:
            self.unknown.append(f"{key}: {exc.strerror or exc}")
            return None

    def dword(self, values: Values | None, key: str, name: str, what: str) -> int | None:
        try:
            return dword(values, name)
        except ValueError as exc:
            raw = values[name].shown()[:200] if values and name in values else ""
            self.problems.append(Unreadable(what, f"{key}\\{name}", raw, str(exc)))
            return None


def _os_info(reader: _Reader) -> OsInfo | None:
    values = reader.values(CURRENT_VERSION)
    product = text(values, "ProductName")
    build = text(values, "CurrentBuildNumber")
    if product is None or build is None or not build.isdigit():
        reader.unknown.append(
            f"operating system: no ProductName/CurrentBuildNumber in {CURRENT_VERSION}"
        )
        return None
    ubr = reader.dword(values, CURRENT_VERSION, "UBR", "Windows build")
    version = f"{build}.{ubr}" if ubr is not None else build
    display = text(values, "DisplayVersion")
    name = f"{product} {display}" if display else product
    return OsInfo("windows", version, f"{name} (build {version})", CURRENT_VERSION)


def _windows_tls(reader: _Reader, build: int | None) -> WindowsTls:
    client = reader.values(TLS12_CLIENT)
    enabled = reader.dword(client, TLS12_CLIENT, "Enabled", "SCHANNEL TLS 1.2 client")
    disabled_by_default = reader.dword(
        client, TLS12_CLIENT, "DisabledByDefault", "SCHANNEL TLS 1.2 client"
    )
    if enabled == 0:
        state = "disabled"
    elif disabled_by_default:
        state = "disabled by default"
    elif enabled is not None:
        state = "enabled"
    elif build is None:
        state = "unknown"
    elif build >= _TLS12_DEFAULT_BUILD:
        state = "enabled (OS default)"
    else:
        state = "disabled (OS default)"
    strong: dict[str, int | None] = {}
    system_default: dict[str, int | None] = {}
    for key in DOTNET_KEYS:
        values = reader.values(key)
        strong[key] = reader.dword(values, key, "SchUseStrongCrypto", ".NET strong cryptography")
        system_default[key] = reader.dword(
            values, key, "SystemDefaultTlsVersions", ".NET system default TLS"
        )
    return WindowsTls(state, enabled, disabled_by_default, strong, system_default)
