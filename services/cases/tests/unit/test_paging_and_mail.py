"""Cursors and the inbound-mail decision without I/O."""

import pytest

from cases.common.paging import decode_cursor, encode_cursor
from cases.intake.rules import MailAction, decide
from contracts.errors import ValidationFailed
from contracts.mail_gateway import MailKind


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor(12345)) == 12345
    assert decode_cursor(None) is None
    assert decode_cursor("") is None


@pytest.mark.parametrize("bad", ["not-base64!", "aWQ6eA", "Zm9vOjE"])  # "id:x", "foo:1"
def test_bad_cursor_is_a_validation_error(bad: str) -> None:
    with pytest.raises(ValidationFailed):
        decode_cursor(bad)


@pytest.mark.parametrize(
    ("kind", "threaded", "belongs", "expected"),
    [
        (MailKind.NORMAL, False, False, MailAction.NEW_CASE),
        (MailKind.NORMAL, True, True, MailAction.REPLY),
        (MailKind.NORMAL, True, False, MailAction.OUTSIDER_NOTE),  # joins, internal (decision 0220)
        (MailKind.AUTO_REPLY, True, False, MailAction.ATTACH_SYSTEM),
        (MailKind.BOUNCE, True, False, MailAction.ATTACH_SYSTEM),
        (MailKind.AUTO_REPLY, False, False, MailAction.DROP),
        (MailKind.BOUNCE, False, False, MailAction.DROP),
        (MailKind.MAILING_LIST, False, False, MailAction.DROP),
        (MailKind.LOOP, True, True, MailAction.ATTACH_SYSTEM),
    ],
)
def test_mail_decision(kind: MailKind, threaded: bool, belongs: bool, expected: MailAction) -> None:
    # belongs: requester, follower or participant of the threaded case (E6)
    assert decide(kind=kind, threaded_case_exists=threaded, sender_belongs=belongs) == expected
