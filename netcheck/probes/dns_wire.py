"""An A or AAAA question and its answer on the wire, for the shape nearly every answer has.

dnspython's resolver spends about 0.25 ms of the loop's time on each question: it builds,
renders, parses and chains messages of Name objects. A check of every region asks 540
questions on one loop thread, so that was the largest CPU cost of its probes (bench/RESULTS.md).
These two pure functions cover the common shape: a plain ASCII name asked with recursion
desired, answered NOERROR or NXDOMAIN, with A, AAAA and CNAME records in the answer. Any other
shape (truncation, SERVFAIL, REFUSED, a CNAME loop) is handed back, and the probe asks
dnspython's resolver, which has the rules for it: server rotation, TCP and its errors.
"""

from __future__ import annotations

import enum
import socket
import struct
from dataclasses import dataclass

A = 1
AAAA = 28
_CNAME = 5
_IN = 1
_HEADER = struct.Struct("!HHHHHH")
_RECORD = struct.Struct("!HHIH")  # type, class, TTL, data length, after the owner's name
_QR = 0x8000
_OPCODE = 0x7800
_TC = 0x0200
_RD = 0x0100
_NOERROR = 0
_NXDOMAIN = 3
# dnspython follows at most this many CNAMEs; a longer chain is handed back to it
_MAX_CHAIN = 16
_FAMILIES = {A: (socket.AF_INET, 4), AAAA: (socket.AF_INET6, 16)}


class Other(enum.Enum):
    """A datagram read that is not an answer this module gives."""

    # Not an answer to this question (another ID or question, not a response, unreadable):
    # dnspython ignores such a datagram and keeps waiting, and so does the probe.
    FOREIGN = "foreign"
    # An answer of another shape: for dnspython's resolver to ask and judge.
    HANDED_BACK = "handed back"


@dataclass(frozen=True)
class Answer:
    """NOERROR or NXDOMAIN: the addresses at the end of the CNAME chain (none: no answer) and
    the names the chain went through, in order."""

    nxdomain: bool
    addresses: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()


def question(qid: int, host: str, rdtype: int) -> bytes | None:
    """The query dnspython's resolver would send (recursion desired, no EDNS, the name's case
    kept), or None for a name it must encode itself: not ASCII, escaped, or out of bounds."""
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    parts = [_HEADER.pack(qid, _RD, 1, 0, 0, 0)]
    size = 1
    for label in labels:
        if not 0 < len(label) < 64 or not label.isascii() or "\\" in label:
            return None
        parts.append(bytes((len(label),)) + label.encode("ascii"))
        size += 1 + len(label)
    if size > 255:
        return None
    parts.append(b"\0" + struct.pack("!HH", rdtype, _IN))
    return b"".join(parts)


def read(message: bytes, qid: int, host: str, rdtype: int) -> Answer | Other:
    """`message` as the answer to question(qid, host, rdtype)."""
    try:
        return _read(message, qid, host.rstrip(".").lower().encode("ascii"), rdtype)
    except _Unusual:
        return Other.HANDED_BACK
    except (IndexError, struct.error, ValueError):
        return Other.FOREIGN  # malformed: dnspython cannot parse it either, and drops it


def _read(message: bytes, qid: int, wanted: bytes, rdtype: int) -> Answer | Other:
    ident, flags, questions, answers, _, _ = _HEADER.unpack_from(message)
    if ident != qid or not flags & _QR or flags & _OPCODE:
        return Other.FOREIGN
    if questions != 1:
        # dnspython takes a question-less SERVFAIL or REFUSED as the server's answer
        return Other.HANDED_BACK if questions == 0 else Other.FOREIGN
    name, offset = _name(message, 12)
    qtype, qclass = struct.unpack_from("!HH", message, offset)
    if name.lower() != wanted or qtype != rdtype or qclass != _IN:
        return Other.FOREIGN
    rcode = flags & 0x000F
    if flags & _TC or rcode not in (_NOERROR, _NXDOMAIN):
        return Other.HANDED_BACK
    offset += 4
    aliases: dict[bytes, bytes] = {}
    found: dict[bytes, list[bytes]] = {}
    family, size = _FAMILIES[rdtype]
    for _ in range(answers):
        owner, offset = _name(message, offset)
        kind, rclass, _, length = _RECORD.unpack_from(message, offset)
        offset += _RECORD.size
        data = message[offset : offset + length]
        if len(data) != length:
            return Other.FOREIGN
        if rclass == _IN and kind == _CNAME:
            if owner.lower() in aliases:
                return Other.HANDED_BACK  # two CNAMEs for one name: not ours to judge
            aliases[owner.lower()] = _name(message, offset)[0]
        elif rclass == _IN and kind == rdtype:
            if length != size:
                return Other.FOREIGN  # dnspython cannot parse such a record either
            found.setdefault(owner.lower(), []).append(data)
        offset += length
    chain: list[str] = []
    current = wanted
    # as dnspython: a name's own records end the chain, even beside a CNAME
    while current not in found and current in aliases:
        if len(chain) == _MAX_CHAIN:
            return Other.HANDED_BACK
        target = aliases[current]
        chain.append(target.decode("ascii"))
        current = target.lower()
    if rcode == _NXDOMAIN:
        return Answer(True)
    addresses = tuple(dict.fromkeys(socket.inet_ntop(family, a) for a in found.get(current, ())))
    return Answer(False, addresses, tuple(chain))


class _Unusual(Exception):
    """A name whose text dnspython would escape (a dot, a backslash or an unprintable byte in a
    label): rare enough to leave to it."""


_PRINTABLE = frozenset(range(0x21, 0x7F)) - {ord("."), ord("\\")}


def _name(message: bytes, offset: int) -> tuple[bytes, int]:
    """The name at `offset` (compression followed) as dotted bytes, and the offset after it."""
    labels = []
    end = None
    jumps = 0
    while True:
        size = message[offset]
        if size >= 0xC0:
            pointer = ((size & 0x3F) << 8) | message[offset + 1]
            jumps += 1
            # a pointer only ever points back; more than a name's labels can hold is a loop
            if pointer >= offset or jumps > 127:
                raise ValueError("bad compression pointer")
            if end is None:
                end = offset + 2
            offset = pointer
            continue
        if size > 63:
            raise ValueError("bad label")
        offset += 1
        if size == 0:
            break
        label = message[offset : offset + size]
        if len(label) != size:
            raise ValueError("truncated label")
        if not _PRINTABLE.issuperset(label):
            raise _Unusual
        labels.append(label)
        offset += size
    return b".".join(labels), offset if end is None else end
