"""TCP connects on the probes' loop over loopback: what a refused or silent connect says,
in the operating system's words, on either kind of event loop."""

from __future__ import annotations

import errno
import socket

import pytest

from netcheck.models import Outcome, TcpObservation
from netcheck.probes import event_loop, transport

pytestmark = pytest.mark.usefixtures("any_loop")


def connect(port: int, timeout: float = 2.0) -> tuple[bool, TcpObservation]:
    async def run() -> tuple[bool, TcpObservation]:
        stream, tcp = await transport.connect(("127.0.0.1",), port, timeout)
        if stream is not None:
            stream.close()
        return stream is not None, tcp

    return event_loop.run(run(), threads=1)


def test_a_listening_port_connects() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        connected, tcp = connect(server.getsockname()[1])
    assert connected and tcp.outcome is Outcome.OK and tcp.address == "127.0.0.1"


def test_a_closed_port_is_refused_in_the_systems_words() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]  # closed when the block ends: nothing listens there
    connected, tcp = connect(port)
    assert not connected and tcp.outcome is Outcome.REFUSED
    assert tcp.error == "Connection refused"  # not the loop's "Connect call failed (...)"
    assert tcp.attempts == ("127.0.0.1: Connection refused",)


def test_windows_errors_keep_their_own_words() -> None:
    """The proactor loop raises Windows' error with its winerror; os.strerror does not know
    the Winsock codes, so those words stay."""

    class WindowsRefusal(ConnectionRefusedError):
        winerror = 10061

    words = "No connection could be made because the target machine actively refused it"
    refused = WindowsRefusal(errno.ECONNREFUSED, words)
    assert transport._plain(refused) is refused
    posix = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('10.0.0.1', 443)")
    assert transport._plain(posix).strerror == "Connection refused"
