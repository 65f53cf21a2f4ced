"""MIME nesting is bounded before any parser runs: a deeper mail is read no further than its headers."""

from __future__ import annotations

from mail_gateway.mail import nesting
from mail_gateway.mail.parse import parse_message

HEAD = b"From: Eve <eve@attacker.example>\r\nTo: support@example.com\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\n"


def nested(levels: int, *, via_message: bool = False) -> bytes:
    """A mail whose text sits `levels` multipart levels deep (each level an attached message, if asked)."""
    opening = b"".join(
        (b"Content-Type: message/rfc822\r\n\r\n" if via_message else b"")
        + b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        for i in range(levels)
    )
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(levels)))
    return HEAD + b"MIME-Version: 1.0\r\n" + opening + b"Content-Type: text/plain\r\n\r\nhello\r\n" + closing


def test_the_depth_of_ordinary_mail() -> None:
    assert nesting.depth(HEAD + b"\r\nhello\r\n") == 0
    assert nesting.depth(nested(3)) == 3
    assert nesting.depth(nested(3, via_message=True)) == 6  # each attached message is a level too
    siblings = (
        HEAD
        + b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        + b"--outer\r\nContent-Type: text/plain\r\n\r\na\r\n" * 40
        + b'--outer\r\nContent-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        + b"--inner\r\nContent-Type: text/plain\r\n\r\nb\r\n--inner--\r\n--outer--\r\n"
    )
    assert nesting.depth(siblings) == 2  # many parts side by side are not depth


def test_a_part_closed_by_its_parent_delimiter_ends_its_level() -> None:
    unclosed = (
        HEAD
        + b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n'
        + b'--a\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nx\r\n'
        + b'--a\r\nContent-Type: multipart/mixed; boundary="c"\r\n\r\n--c\r\n\r\ny\r\n--c--\r\n--a--\r\n'
    )
    assert nesting.depth(unclosed) == 2


def test_at_the_limit_a_mail_is_parsed_and_beyond_it_only_its_headers_are_read() -> None:
    at_limit = parse_message(nested(nesting.MAX_DEPTH))
    assert nesting.TOO_DEEP not in at_limit.defects and at_limit.text_body == "hello"

    for levels in (nesting.MAX_DEPTH + 1, 2000):
        deep = parse_message(nested(levels))
        assert deep.defects == [nesting.TOO_DEEP]
        assert deep.text_body == "" and deep.attachments == []  # the raw MIME never becomes a body
        assert (deep.from_address.email if deep.from_address else None, deep.subject) == (
            "eve@attacker.example",
            "deep",
        )
    assert parse_message(nested(30, via_message=True)).defects == [nesting.TOO_DEEP]  # 60 levels
