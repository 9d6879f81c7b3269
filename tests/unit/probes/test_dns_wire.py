"""dns_wire against dnspython: the questions it writes are byte for byte dnspython's, and every
answer dnspython builds is read as dnspython's resolver reads it, or handed back to it."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

from netcheck.probes import dns_wire
from netcheck.probes.dns_wire import Answer, Other

HOST = "WestEurope-JobRuntimeData-prod-su1.azure-automation.net"
QID = 0x5A3C


@pytest.mark.parametrize("rdtype", [dns_wire.A, dns_wire.AAAA])
@pytest.mark.parametrize("host", [HOST, "a.example.", "x"])
def test_the_question_is_dnspythons_byte_for_byte(host: str, rdtype: int) -> None:
    theirs = dns.message.make_query(host, rdtype)
    theirs.id = QID
    assert dns_wire.question(QID, host, rdtype) == theirs.to_wire()


@pytest.mark.parametrize(
    "host",
    ["bücher.example", "a..example", "a\\.b.example", "x" * 64 + ".example", "a." * 130 + "b"],
    ids=["not ASCII", "empty label", "escaped", "label too long", "name too long"],
)
def test_names_dnspython_must_encode_are_left_to_it(host: str) -> None:
    assert dns_wire.question(QID, host, dns_wire.A) is None


def response(
    host: str = HOST, rdtype: int = dns_wire.A, *records: str, rcode: int = dns.rcode.NOERROR
) -> dns.message.Message:
    """dnspython's answer to our question; each record is 'owner TYPE data'."""
    query = dns.message.from_wire(dns_wire.question(QID, host, rdtype) or b"")
    answer = dns.message.make_response(query)
    answer.set_rcode(rcode)
    for record in records:
        owner, kind, data = record.split()
        answer.answer.append(dns.rrset.from_text(owner, 60, "IN", kind, data))
    return answer


def dnspythons_reading(wire: bytes) -> Answer:
    """What dnspython's resolver makes of `wire`, in dns_wire's terms."""
    message = dns.message.from_wire(wire)
    if message.rcode() == dns.rcode.NXDOMAIN:
        return Answer(True)
    chained = message.resolve_chaining()
    cnames = tuple(r.target.to_text(omit_final_dot=True) for s in chained.cnames for r in s)
    addresses = tuple(r.to_text() for r in chained.answer) if chained.answer else ()
    return Answer(False, addresses, cnames)


CHAIN = (
    f"{HOST}. CNAME edge.trafficmanager.net.",
    "edge.trafficmanager.net. CNAME frontend.cloudapp.azure.com.",
)


@pytest.mark.parametrize(
    ("rdtype", "records"),
    [
        (dns_wire.A, [f"{HOST}. A 20.50.2.1"]),
        (dns_wire.A, [f"{HOST}. A 20.50.2.1", f"{HOST}. A 20.50.2.2"]),
        (dns_wire.A, [*CHAIN, "frontend.cloudapp.azure.com. A 20.50.2.3"]),
        # the chain out of order, in capitals: names compare without case
        (dns_wire.A, ["FRONTEND.cloudapp.azure.com. A 20.50.2.3", *reversed(CHAIN)]),
        (dns_wire.AAAA, [*CHAIN, "frontend.cloudapp.azure.com. AAAA 2603:1020:0:1::7"]),
        (dns_wire.AAAA, [f"{HOST}. AAAA ::ffff:20.50.2.1"]),
        (dns_wire.AAAA, list(CHAIN)),  # the chain, then no address: "no answer"
        (dns_wire.A, []),
        (dns_wire.A, ["unrelated.example. A 192.0.2.9"]),
        # its own records end the chain, as in dnspython
        (dns_wire.A, [f"{HOST}. A 20.50.2.1", CHAIN[0], "edge.trafficmanager.net. A 1.2.3.4"]),
    ],
    ids=[
        "one address",
        "two",
        "chain",
        "chain out of order",
        "IPv6 chain",
        "mapped IPv6",
        "chain, no address",
        "empty",
        "unrelated record",
        "own records first",
    ],
)
def test_answers_read_as_dnspythons_resolver_reads_them(rdtype: int, records: list[str]) -> None:
    wire = response(HOST, rdtype, *records).to_wire()
    read = dns_wire.read(wire, QID, HOST, rdtype)
    assert read == dnspythons_reading(wire)
    assert isinstance(read, Answer) and not read.nxdomain


def test_nxdomain() -> None:
    message = response(HOST, dns_wire.A, rcode=dns.rcode.NXDOMAIN)
    assert dns_wire.read(message.to_wire(), QID, HOST, dns_wire.A) == Answer(True)


def test_a_name_asked_with_a_final_dot_reads_the_same() -> None:
    message = response(HOST, dns_wire.A, f"{HOST}. A 20.50.2.1")
    assert dns_wire.read(message.to_wire(), QID, f"{HOST}.", dns_wire.A) == Answer(
        False, ("20.50.2.1",)
    )


def reshaped(message: dns.message.Message, **change: object) -> bytes:
    for name, value in change.items():
        setattr(message, name, value)
    return message.to_wire()


@pytest.mark.parametrize(
    "wire",
    [
        reshaped(response(), id=QID + 1),
        reshaped(response(), flags=dns.flags.RD),  # a query, not a response
        response("other.example").to_wire(),
        response(HOST, dns_wire.AAAA).to_wire(),
        response(HOST, dns_wire.A, f"{HOST}. A 20.50.2.1").to_wire()[:-3],
        b"\x5a\x3c\x81",
        # a compression pointer to itself
        response().to_wire()[:12] + b"\xc0\x0c\x00\x01\x00\x01",
    ],
    ids=[
        "another ID",
        "not a response",
        "another name",
        "another type",
        "cut short",
        "no header",
        "pointer loop",
    ],
)
def test_what_is_no_answer_to_the_question_is_ignored_as_dnspython_ignores_it(
    wire: bytes,
) -> None:
    assert dns_wire.read(wire, QID, HOST, dns_wire.A) is Other.FOREIGN


def question_less(rcode: int) -> bytes:
    message = response(rcode=rcode)
    message.question = []
    return message.to_wire()


@pytest.mark.parametrize(
    "wire",
    [
        reshaped(response(), flags=dns.flags.QR | dns.flags.RD | dns.flags.TC),
        response(rcode=dns.rcode.SERVFAIL).to_wire(),
        response(rcode=dns.rcode.REFUSED).to_wire(),
        question_less(dns.rcode.REFUSED),
        response(HOST, dns_wire.A, f"{HOST}. CNAME {HOST}.").to_wire(),
        response(HOST, dns_wire.A, f"{HOST}. CNAME a\\.b.example.").to_wire(),
    ],
    ids=["truncated", "SERVFAIL", "REFUSED", "REFUSED without question", "CNAME loop", "escaped"],
)
def test_other_shapes_are_handed_back_to_dnspython(wire: bytes) -> None:
    assert dns_wire.read(wire, QID, HOST, dns_wire.A) is Other.HANDED_BACK
