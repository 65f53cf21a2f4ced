"""Recipient mapping and the header peek taken before a mail is stored."""

import pytest

from mail_gateway.domain.addresses import mailbox_key
from mail_gateway.domain.headers import MAX_MESSAGE_ID, message_ids, peek_headers


@pytest.mark.parametrize(
    ("rcpt", "mailbox"),
    [
        ("support@example.com", "support@example.com"),
        ("Support+Billing@Example.COM", "support@example.com"),
        ("<support+a+b@example.com>", "support@example.com"),
    ],
)
def test_plus_addresses_map_to_their_mailbox(rcpt, mailbox):
    assert mailbox_key(rcpt) == mailbox


def test_peek_reads_message_id_sender_and_encoded_subject():
    raw = (
        b"From: =?utf-8?q?K=C3=A5re?= <Kare@Customer.test>\r\n"
        b"Subject: =?utf-8?q?Skriveren_p=C3=A5_3=2E_etasje?=\r\n"
        b"Message-ID: <abc@customer.test>\r\n\r\nbody\r\n"
    )
    peek = peek_headers(raw)
    assert (peek.message_id, peek.from_email, peek.subject) == (
        "abc@customer.test",
        "kare@customer.test",
        "Skriveren på 3. etasje",
    )


def test_peek_of_garbage_never_raises_and_drops_overlong_ids():
    assert peek_headers(b"\x00\xff").message_id is None
    long_id = "a" * MAX_MESSAGE_ID + "@x"
    assert peek_headers(f"Message-ID: <{long_id}>\r\n\r\n".encode()).message_id is None


def test_message_ids_without_brackets_are_still_found():
    assert message_ids("<a@x>\r\n <b@x>") == ["a@x", "b@x"]
    assert message_ids("bare@x") == ["bare@x"]


def test_peek_reads_utf8_headers_of_smtputf8_mail():
    raw = "From: Kåre <kåre@kunde.test>\r\nSubject: Skriveren på 3. etasje\r\n\r\nbody\r\n".encode()
    peek = peek_headers(raw)
    assert (peek.from_email, peek.subject) == ("kåre@kunde.test", "Skriveren på 3. etasje")
