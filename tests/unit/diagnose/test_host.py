"""Host facts and verdicts on fabricated roots: supported OS, CPU, memory, disk, TLS library."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from netcheck.diagnose import host
from netcheck.diagnose.hostfs import HostFiles

from .builders import HostBuilder

MODERN_TLS = host.TlsLibrary("OpenSSL 3.0.13 30 Jan 2024", tls1_2=True, tls1_3=True)


def facts_of(root: Path) -> host.HostFacts:
    return host.gather(HostFiles(root), MODERN_TLS)


def codes(found: list[object]) -> set[str]:
    return {f.code for f in found}  # type: ignore[attr-defined]


def test_a_healthy_machine_has_no_verdict(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine()
    facts = facts_of(tmp_path)
    assert facts.os == host.OsInfo("ubuntu", "22.04", "Ubuntu 22.04.4 LTS", "/etc/os-release")
    assert (facts.cpu_cores, facts.memory_bytes) == (4, 8_148_236 * 1024)
    assert facts.disk_path == "/var" and facts.disk_free_bytes is not None
    assert facts.supported_for() == ("extension-based",)
    assert host.judge(facts, ("extension-based",)) == []


def test_a_machine_below_the_minimums(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine(cores=1, memory_kb=2_000_000)
    found = host.judge(facts_of(tmp_path), ("extension-based",))
    assert codes(found) == {"HOST_CPU_LOW", "HOST_MEMORY_LOW"}
    cpu = next(f for f in found if f.code == "HOST_CPU_LOW")
    assert "1 CPU core" in cpu.message and cpu.evidence["minimum"] == 2


def test_a_4_gb_machine_reporting_less_after_kernel_reservations_is_enough(
    tmp_path: Path,
) -> None:
    HostBuilder(tmp_path).machine(memory_kb=3_920_000)  # what a 4 GB VM shows as MemTotal
    assert host.judge(facts_of(tmp_path), ()) == []


def test_os_is_judged_against_the_list_of_the_installed_worker_type(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine("ubuntu", "16.04", "Ubuntu 16.04.7 LTS")
    facts = facts_of(tmp_path)
    assert facts.supported_for() == ("agent-based",)
    assert host.judge(facts, ("agent-based",)) == []
    (unsupported,) = host.judge(facts, ("extension-based",))
    assert unsupported.code == "HOST_OS_UNSUPPORTED"
    assert unsupported.evidence["supported_for"] == ["agent-based"]


def test_minor_releases_match_their_major_version(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine("rhel", "8.9", "Red Hat Enterprise Linux 8.9 (Ootpa)")
    assert facts_of(tmp_path).supported_for() == ("extension-based",)


def test_with_no_worker_found_an_os_on_either_list_is_accepted(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine("debian", "8", "Debian GNU/Linux 8 (jessie)")
    assert host.judge(facts_of(tmp_path), ()) == []
    HostBuilder(tmp_path).machine("ubuntu", "24.04", "Ubuntu 24.04 LTS")
    assert codes(host.judge(facts_of(tmp_path), ())) == {"HOST_OS_UNSUPPORTED"}


def test_missing_files_are_unknown_not_failures(tmp_path: Path) -> None:
    facts = facts_of(tmp_path)
    assert facts.os is None and facts.cpu_cores is None and facts.memory_bytes is None
    assert len(facts.unknown) == 3
    assert host.judge(facts, ()) == []


def test_low_disk_and_an_old_tls_library(tmp_path: Path) -> None:
    HostBuilder(tmp_path).machine()
    facts = replace(
        facts_of(tmp_path),
        disk_free_bytes=200 * 1024**2,
        tls=host.TlsLibrary("OpenSSL 0.9.8", tls1_2=False, tls1_3=False),
    )
    found = host.judge(facts, ())
    assert codes(found) == {"HOST_DISK_LOW", "HOST_TLS_UNSUPPORTED"}


def test_parsers() -> None:
    assert host.parse_os_release('ID="sles"\n# comment\nVERSION_ID="15.3"\n') == {
        "ID": "sles",
        "VERSION_ID": "15.3",
    }
    assert host.count_cpus("processor : 0\n\nprocessor : 1\n") == 2
    assert host.count_cpus("") is None
    assert host.memory_total("MemTotal: 1024 kB\n") == 1024 * 1024
