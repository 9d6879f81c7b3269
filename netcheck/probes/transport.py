"""TCP connections and HTTP CONNECT tunnels, each bounded by one step's timeout."""

from __future__ import annotations

import base64
import errno
import selectors
import socket
import time

from netcheck.models import Outcome, ProxyObservation, ProxySettings, TcpObservation

_UNREACHABLE = {
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EACCES,
    errno.EPERM,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
}
_MAX_HEAD = 64 * 1024
_MAX_PAGE = 4096


class StepTimeout(TimeoutError):
    """The peer did not answer before the step's deadline."""


def wait(sock: socket.socket, *, write: bool, deadline: float) -> None:
    """Block until `sock` is readable (or writable), or raise StepTimeout at `deadline`."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise StepTimeout
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_WRITE if write else selectors.EVENT_READ)
        if not selector.select(remaining):
            raise StepTimeout


def classify_os_error(exc: OSError) -> Outcome:
    """Map a socket error to the outcome a network engineer would name."""
    if isinstance(exc, (TimeoutError, StepTimeout)):
        return Outcome.TIMEOUT
    if isinstance(exc, ConnectionRefusedError):
        return Outcome.REFUSED
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return Outcome.RESET
    if exc.errno in _UNREACHABLE:
        return Outcome.UNREACHABLE
    return Outcome.ERROR


def connect(
    addresses: tuple[str, ...], port: int, timeout: float
) -> tuple[socket.socket | None, TcpObservation]:
    """Connect to the first address that answers; all attempts share one timeout."""
    started = time.monotonic()
    deadline = started + timeout
    attempts: list[str] = []
    outcome, error = Outcome.ERROR, "no address to connect to"
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        # Nagle would hold the request behind the unacknowledged TLS Finished until the
        # server's delayed ACK: a round trip more per target (curl turns it off too).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.settimeout(remaining)
            sock.connect((address, port))
        except OSError as exc:
            sock.close()
            outcome, error = classify_os_error(exc), _describe(exc)
            attempts.append(f"{address}: {error}")
            continue
        attempts.append(f"{address}: connected")
        duration = (time.monotonic() - started) * 1000
        return sock, TcpObservation(Outcome.OK, address, tuple(attempts), None, duration)
    duration = (time.monotonic() - started) * 1000
    return None, TcpObservation(outcome, None, tuple(attempts), error, duration)


def connect_host(
    host: str, port: int, timeout: float
) -> tuple[socket.socket | None, TcpObservation]:
    """Connect to a host given by name or address, resolving it with the system resolver."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return None, TcpObservation(
            Outcome.ERROR, None, (), f"cannot resolve {host}: {exc.strerror}"
        )
    return connect(tuple(dict.fromkeys(str(info[4][0]) for info in infos)), port, timeout)


def open_tunnel(
    proxy: ProxySettings, host: str, port: int, timeout: float
) -> tuple[socket.socket | None, TcpObservation, ProxyObservation | None]:
    """Connect to the proxy and ask it for a tunnel to host:port with HTTP CONNECT."""
    sock, tcp = connect_host(proxy.host, proxy.port, timeout)
    if sock is None:
        return None, tcp, None
    started = time.monotonic()
    request = [
        f"CONNECT {host}:{port} HTTP/1.1",
        f"Host: {host}:{port}",
        "User-Agent: netcheck",
        "Proxy-Connection: keep-alive",
        *(f"{k.decode()}: {v.decode()}" for k, v in proxy_auth_headers(proxy)),
    ]
    deadline = started + timeout
    try:
        sock.settimeout(timeout)
        sock.sendall(("\r\n".join(request) + "\r\n\r\n").encode())
        head = _read_head(sock, deadline)
    except OSError as exc:
        sock.close()
        observation = ProxyObservation(
            classify_os_error(exc),
            proxy.redacted_url,
            error=_describe(exc),
            duration_ms=(time.monotonic() - started) * 1000,
        )
        return None, tcp, observation
    status, reason, headers = parse_head(head)
    outcome = _proxy_outcome(status)
    page = None
    if status is not None and outcome is not Outcome.OK:
        page = _excerpt(_read_page(sock, head, headers, deadline))
    duration = (time.monotonic() - started) * 1000
    observation = ProxyObservation(
        outcome,
        proxy.redacted_url,
        status,
        reason,
        headers,
        None if status else "not an HTTP answer",
        duration,
        page,
    )
    if outcome is not Outcome.OK:
        sock.close()
        return None, tcp, observation
    return sock, tcp, observation


def proxy_auth_headers(proxy: ProxySettings) -> list[tuple[bytes, bytes]]:
    """Basic credentials for the proxy, when it has a user."""
    if proxy.username is None:
        return []
    token = base64.b64encode(f"{proxy.username}:{proxy.password or ''}".encode())
    return [(b"Proxy-Authorization", b"Basic " + token)]


def _proxy_outcome(status: int | None) -> Outcome:
    if status is None:
        return Outcome.PROTOCOL
    if 200 <= status < 300:
        return Outcome.OK
    # tinyproxy and some appliances answer 401 rather than 407 to bad proxy credentials.
    if status in (401, 407):
        return Outcome.AUTH_REQUIRED
    return Outcome.DENIED


def _read_head(sock: socket.socket, deadline: float) -> bytes:
    """Read a response head. The proxy sends nothing after it until we speak TLS, so no
    bytes of the tunnel are consumed here."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < _MAX_HEAD:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StepTimeout
        sock.settimeout(remaining)
        chunk = sock.recv(4096)
        if not chunk:
            if not data:
                raise ConnectionResetError(errno.ECONNRESET, "proxy closed the connection")
            break
        data += chunk
    return data


def _read_page(sock: socket.socket, head: bytes, headers: dict[str, str], deadline: float) -> bytes:
    """The start of the page that came with a refusal, up to _MAX_PAGE bytes: a page names
    the product and the blocked category. Whatever arrived by the deadline is enough."""
    body = head.partition(b"\r\n\r\n")[2]
    length = headers.get("content-length", "")
    wanted = min(int(length), _MAX_PAGE) if length.isdigit() else _MAX_PAGE
    try:
        while len(body) < wanted:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            chunk = sock.recv(4096)
            if not chunk:
                break
            body += chunk
    except OSError:
        pass  # a page cut short still says what it says
    return body[:wanted]


def _excerpt(page: bytes) -> str | None:
    text = " ".join(page.decode("utf-8", "replace").split())
    return text[:_MAX_PAGE] or None


def parse_head(head: bytes) -> tuple[int | None, str | None, dict[str, str]]:
    """Status, reason and headers (lower-case names, repeats joined) of an HTTP/1.x head."""
    lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None, None, {}
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            # A repeated header (one Proxy-Authenticate per scheme) is one list, RFC 9110 5.3.
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return int(parts[1]), parts[2] if len(parts) > 2 else "", headers


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, StepTimeout)):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
