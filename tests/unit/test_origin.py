"""Where a report was made: local facts only, and a name lookup that never holds a check up."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from netcheck import origin

FIB_TRIE = """\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
     +-- 192.0.2.0/24 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.7
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
     +-- 192.0.2.0/24 2 0 2
           |-- 192.0.2.7
              /32 host LOCAL
"""
IF_INET6 = """\
00000000000000000000000000000001 01 80 10 80       lo
20010db8000000000000000000000007 04 40 00 80     eth0
fe8000000000000000fc00fffe000001 04 40 20 80     eth0
"""


def test_local_addresses_leave_out_loopback_link_local_and_repeats() -> None:
    assert origin.local_addresses(FIB_TRIE, IF_INET6) == ("192.0.2.7", "2001:db8::7")


def test_the_origin_of_this_host() -> None:
    found = origin.PendingOrigin().result(wait=5)
    assert found.hostname == socket.gethostname()
    assert found.os.system
    assert found.netcheck_version


def test_a_slow_name_lookup_is_given_up_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def stuck(name: str = "") -> str:
        release.wait(10)
        return "late.example"

    monkeypatch.setattr(socket, "getfqdn", stuck)
    started = time.monotonic()
    found = origin.PendingOrigin().result(wait=0.2)
    release.set()
    assert time.monotonic() - started < 2
    assert found.fqdn is None
    assert found.hostname == socket.gethostname()
