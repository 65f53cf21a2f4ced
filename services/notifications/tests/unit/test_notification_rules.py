"""Rules of outbound mail, without I/O: suppression, threading headers, retry classification, rendering."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest

from contracts.cases import AuthorType, CaseRead, MessageRead
from notifications.deliveries.rules import backoff, classify
from notifications.mail import compose
from notifications.mail.rules import (
    ThreadEntry,
    ThreadHeaders,
    cap_references,
    confirmation_blocker,
    confirmation_recipient,
    reply_headers,
    reply_recipient,
)
from notifications.safety.rules import suppression_reason

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _case(**over: object) -> CaseRead:
    data = {
        "id": 1,
        "number": 1001,
        "title": "Hi",
        "status": "new",
        "priority": "low",
        "source": "email",
        "requester": {"id": 5, "email": "a@x.example", "name": "A"},
        "version": 1,
        "created_at": T0,
        "updated_at": T0,
        **over,
    }
    return CaseRead.model_validate(data)


def _msg(**over: object) -> MessageRead:
    data = {
        "id": 9,
        "case_id": 1,
        "author_type": "agent",
        "visibility": "public",
        "channel": "web",
        "body_text": "Hello",
        "created_at": T0,
        **over,
    }
    return MessageRead.model_validate(data)


@pytest.mark.parametrize(
    "address",
    [
        "noreply@x.example",
        "no-reply@x.example",
        "do_not_reply@x.example",
        "mailer-daemon@x.example",
        "Postmaster@x.example",
        "bounces+abc@list.example",
        "support@example.com",
        "nonsense",
    ],
)
def test_robot_and_own_addresses_are_suppressed(address: str) -> None:
    assert suppression_reason(address, own_addresses=["Support@Example.com"]) is not None


@pytest.mark.parametrize("address", ["alice@x.example", "replyguy@x.example", "noreplyer.smith@x.example"])
def test_people_are_not_suppressed(address: str) -> None:
    assert suppression_reason(address, own_addresses=["support@example.com"]) is None


def test_only_email_cases_with_a_requester_email_are_confirmed() -> None:
    assert confirmation_recipient(_case()) == "a@x.example"
    assert confirmation_recipient(_case(source="api")) is None
    assert confirmation_recipient(_case(requester=None)) is None


def test_an_automatic_first_message_blocks_the_confirmation() -> None:
    first = _msg(author_type="system")
    assert confirmation_blocker(recipient="a@x.example", first_message=first, own_addresses=[]) is not None
    human = _msg(author_type="contact", author_email="a@x.example")
    assert confirmation_blocker(recipient="a@x.example", first_message=human, own_addresses=[]) is None


def test_only_public_agent_messages_are_mailed() -> None:
    case = _case()
    assert reply_recipient(case, _msg()) == "a@x.example"
    assert reply_recipient(case, _msg(visibility="internal")) is None
    assert reply_recipient(case, _msg(author_type="contact")) is None
    assert reply_recipient(_case(requester=None), _msg()) is None


def test_reply_headers_answer_the_latest_customer_mail_and_keep_the_chain_in_order() -> None:
    entries = [
        ThreadEntry("c2@x", "contact", T0 + timedelta(minutes=2)),
        ThreadEntry("c1@x", "contact", T0),
        ThreadEntry("ours@hd", "system", T0 + timedelta(minutes=1)),
        ThreadEntry("agent@hd", "agent", T0 + timedelta(minutes=3)),
    ]
    headers = reply_headers(entries)
    assert headers.in_reply_to == "c2@x"
    assert headers.references == ["c1@x", "ours@hd", "c2@x", "agent@hd"]


def test_references_keep_the_root_and_the_newest() -> None:
    chain = [f"m{i}@x" for i in range(30)]
    capped = cap_references(chain, limit=5)
    assert capped == ["m0@x", "m26@x", "m27@x", "m28@x", "m29@x"]


def test_4xx_and_connection_errors_are_temporary_5xx_permanent() -> None:
    assert classify(ConnectionRefusedError(111, "refused")).temporary
    assert classify(ConnectionRefusedError(111, "refused")).relay_down
    assert classify(smtplib.SMTPRecipientsRefused({"a@x": (451, b"later")})).temporary
    refused = classify(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}))
    assert not refused.temporary and "550" in refused.reason
    assert not classify(smtplib.SMTPDataError(554, b"spam")).temporary
    assert classify(smtplib.SMTPDataError(452, b"full")).temporary
    assert classify(smtplib.SMTPServerDisconnected("gone")).relay_down


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, base=1, cap=10).total_seconds() for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_rendered_reply_is_a_threaded_multipart_message() -> None:
    mail = compose.agent_reply(
        case=_case(title="Broken\r\nBcc: evil@x.example"),
        message=_msg(body_text="Line 1\n<b>Line 2</b>"),
        to=compose.Mailbox("a@x.example", "Åse Ødegård"),
        sender=compose.Mailbox("support@example.com", "Support"),
        message_id="hd.1.9.abcd@hd.example",
        threading=ThreadHeaders("c1@x", ["c1@x"]),
        date=T0,
    )
    parsed = message_from_bytes(mail.raw, policy=policy.default)
    assert parsed["Subject"] == "Re: Broken Bcc: evil@x.example [#1001]"
    assert parsed["Bcc"] is None
    assert parsed["To"].addresses[0].display_name == "Åse Ødegård"
    assert parsed["Message-ID"] == "<hd.1.9.abcd@hd.example>"
    assert parsed["In-Reply-To"] == "<c1@x>"
    assert "&lt;b&gt;Line 2&lt;/b&gt;" in parsed.get_body(("html",)).get_content()
    assert "<b>Line 2</b>" in parsed.get_body(("plain",)).get_content()


def test_a_case_an_agent_started_by_mail_gets_no_confirmation() -> None:
    # A7: the agent's own mail is the first thing the contact sees; "we received your mail" would be false
    assert confirmation_recipient(_case(), AuthorType.AGENT) is None
    assert confirmation_recipient(_case(), AuthorType.CONTACT) == "a@x.example"


def test_the_sources_setting_decides_the_confirmation_when_the_event_carries_it() -> None:
    # E1: the admin's list says which sources confirm their new cases; cases puts the answer in the event
    assert confirmation_recipient(_case(source="phone"), AuthorType.AGENT, True) == "a@x.example"
    assert confirmation_recipient(_case(source="email"), AuthorType.CONTACT, False) is None
    assert confirmation_recipient(_case(source="api", requester=None), None, True) is None


def test_the_first_mail_of_a_case_is_no_reply() -> None:
    mail = compose.agent_reply(
        case=_case(title="Your new laptop"),
        message=_msg(body_text="It is ready."),
        to=compose.Mailbox("a@x.example", "A"),
        sender=compose.Mailbox("support@example.com", "Support"),
        message_id="hd.1.9.abcd@hd.example",
        threading=ThreadHeaders(None, []),
        date=T0,
        first=True,
    )
    parsed = message_from_bytes(mail.raw, policy=policy.default)
    assert parsed["Subject"] == "Your new laptop [#1001]"
    assert parsed["In-Reply-To"] is None
