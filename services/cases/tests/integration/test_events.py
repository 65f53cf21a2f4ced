"""Events into the cases service: mail_received and notification_sent, exactly once, poison to dead letters."""

from __future__ import annotations

import uuid
from typing import Any

from amqp.exceptions import NotFound
from conftest import mail_received
from kombu import Connection

from contracts.mail_gateway import MailKind, MailReceived, ThreadDecision
from contracts.notifications import NotificationSent

CUSTOMER = "kunde@example.com"


def _deliver(cases: Any, mail: MailReceived) -> dict[str, Any]:
    envelope = cases.envelope(mail, source="mail_gateway")
    cases.publish("mail_gateway", envelope)
    return envelope


def test_mail_opens_a_case(cases: Any) -> None:
    mail = mail_received(
        CUSTOMER, "Kari Nordmann", attachments=[{"filename": "error.png", "sha256": "ab" * 32, "size": 10}]
    )
    _deliver(cases, mail)
    event = cases.events.wait_for("case_created", case__title=mail.subject)[0]
    case, first = event["payload"]["case"], event["payload"]["first_message"]
    assert case["source"] == "email" and case["status"] == "new"
    assert case["group"]["name"] == "Support"
    assert case["requester"]["email"] == CUSTOMER and case["requester"]["name"] == "Kari Nordmann"
    assert first["email_message_id"] == mail.message_id
    assert first["author_type"] == "contact" and first["channel"] == "email" and first["visibility"] == "public"
    assert first["attachments"][0]["filename"] == "error.png"
    stored = cases.rows("SELECT case_id FROM message WHERE inbound_mail_id = :i", i=mail.inbound_mail_id)
    assert [r.case_id for r in stored] == [case["id"]]


def test_the_same_mail_twice_makes_one_case(cases: Any) -> None:
    mail = mail_received(CUSTOMER)
    duplicates_before = cases.metric("helpdesk_events_consumed_total", event_type="mail_received", outcome="duplicate")
    first = _deliver(cases, mail)
    cases.publish("mail_gateway", first)  # redelivery of the same event
    again = _deliver(cases, mail)  # the same mail, a new event id
    cases.wait_until(
        lambda: (
            cases.metric("helpdesk_events_consumed_total", event_type="mail_received", outcome="duplicate")
            > duplicates_before
        ),
        what="the redelivered event skipped",
    )

    def both_recorded() -> list[Any] | None:
        sql = "SELECT outcome FROM processed_event WHERE event_id IN (:a, :b)"
        rows = cases.rows(sql, a=first["event_id"], b=again["event_id"])
        return rows if len(rows) == 2 else None

    # An event id is recorded in the transaction that applies it: once both are, every write the three
    # deliveries could make is committed (the mail under a new event id found its message and wrote nothing).
    processed = cases.wait_until(both_recorded, what="both event ids recorded")
    assert {r.outcome for r in processed} == {"applied"}
    assert cases.rows('SELECT count(*) FROM "case" WHERE title = :t', t=mail.subject)[0][0] == 1
    created = cases.rows(
        "SELECT count(*) FROM outbox_message WHERE event_type = 'case_created' AND envelope::text LIKE :t",
        t=f"%{mail.subject}%",
    )
    assert created[0][0] == 1


def test_reply_threads_onto_its_case_and_reopens_it(cases: Any, admin: dict[str, Any]) -> None:
    first = mail_received(CUSTOMER)
    _deliver(cases, first)
    case = cases.events.wait_for("case_created", case__title=first.subject)[0]["payload"]["case"]
    # the agent takes the case and answers: it now waits for the customer
    agent_reply = cases.call("add_message", case_id=case["id"], data={"body": "Prøv å restarte"}, actor=admin)
    assert cases.call("get_case", case_id=case["id"])["status"] == "waiting"

    reply = mail_received(
        CUSTOMER,
        subject=f"Re: {first.subject}",
        in_reply_to=["<hd.1.2.abcdef01.0123456789abcdef@helpdesk.example.com>"],
        thread=ThreadDecision(case_id=case["id"], reason="our_message_id"),
    )
    _deliver(cases, reply)
    added = cases.events.wait_for("message_added", case__id=case["id"], message__email_message_id=reply.message_id)[0]
    assert added["payload"]["in_reply_to"] == reply.in_reply_to[0]
    assert added["payload"]["message"]["author_type"] == "contact"
    assert added["payload"]["case"]["status"] == "open"
    messages = cases.call("list_messages", case_id=case["id"])
    assert [m["id"] for m in messages][1] == agent_reply["id"] and len(messages) == 3
    assert cases.rows('SELECT count(*) FROM "case" WHERE title = :t', t=reply.subject)[0][0] == 0


def test_a_stranger_on_the_thread_joins_as_an_internal_entry(cases: Any) -> None:
    first = mail_received(CUSTOMER)
    _deliver(cases, first)
    case = cases.events.wait_for("case_created", case__title=first.subject)[0]["payload"]["case"]
    intruder = mail_received(
        "someone.else@example.org",
        subject=f"Re: hijack {uuid.uuid4().hex[:6]}",
        thread=ThreadDecision(case_id=case["id"]),
    )
    _deliver(cases, intruder)
    added = cases.events.wait_for("message_added", message__email_message_id=intruder.message_id)[0]["payload"]
    assert added["case"]["id"] == case["id"]  # never a case of its own, never public (decision 0220)
    assert (added["message"]["visibility"], added["message"]["from_outsider"]) == ("internal", True)
    assert cases.rows('SELECT count(*) FROM "case" WHERE title = :t', t=intruder.subject)[0][0] == 0


def test_automatic_mail_never_opens_a_case(cases: Any) -> None:
    first = mail_received(CUSTOMER)
    _deliver(cases, first)
    case = cases.events.wait_for("case_created", case__title=first.subject)[0]["payload"]["case"]
    bounce = mail_received(
        "MAILER-DAEMON@mx.example.com", kind=MailKind.BOUNCE, thread=ThreadDecision(case_id=case["id"])
    )
    stray = mail_received(CUSTOMER, kind=MailKind.AUTO_REPLY, subject="Out of office (stray)")
    stray_event = _deliver(cases, stray)
    _deliver(cases, bounce)
    added = cases.events.wait_for("message_added", case__id=case["id"], message__email_message_id=bounce.message_id)[0]
    message = added["payload"]["message"]
    assert message["author_type"] == "system" and message["visibility"] == "internal"
    assert added["payload"]["case"]["status"] == "new"
    cases.wait_until(
        lambda: cases.rows("SELECT outcome FROM processed_event WHERE event_id = :e", e=stray_event["event_id"]),
        what="stray auto-reply processed",
    )
    assert not cases.rows("SELECT 1 FROM message WHERE inbound_mail_id = :i", i=stray.inbound_mail_id)
    assert cases.rows('SELECT count(*) FROM "case" WHERE title = :t', t=stray.subject)[0][0] == 0
    assert cases.rows("SELECT count(*) FROM contact_email WHERE email LIKE 'mailer-daemon%'")[0][0] == 0


def test_poison_goes_to_dead_letters_and_the_queue_moves_on(cases: Any) -> None:
    poison = {"event_id": str(uuid.uuid4()), "event_type": "mail_received", "payload": {"subject": "no sender"}}
    cases.publish("mail_gateway", poison)
    good = mail_received(CUSTOMER)
    _deliver(cases, good)
    # generous deadlines: on a loaded machine the poison's way (its group, then alone, then dead-lettered) is slow
    cases.events.wait_for("case_created", case__title=good.subject, timeout=60)

    # Poison leaves its mail group and is retried alone (decision 0126), so the good mail's case can come
    # first; until the worker dead-letters it, the dead-letter queue (declared by the worker) may not exist.
    with Connection(cases.amqp_uri) as conn:

        def dead_letter() -> Any:
            try:
                with conn.channel() as channel:
                    return cases.dead_letter_queue()(channel).get(no_ack=True)
            except NotFound:
                return None

        message = cases.wait_until(dead_letter, timeout=60, what="dead letter")
    assert message.payload["event_id"] == poison["event_id"]
    assert "ValidationError" in message.headers["x-dead-letter-reason"]
    assert message.headers["x-consumer"] == "cases.on_mail_received"
    # the dead letter is published first, then recorded (a crash in between re-parks it, never drops it)
    outcome = cases.wait_until(
        lambda: cases.rows("SELECT outcome FROM processed_event WHERE event_id = :e", e=poison["event_id"]),
        timeout=60,
        what="the poison event recorded as processed",
    )
    assert [r.outcome for r in outcome] == ["dead_lettered"]


def test_notification_sent_sets_the_agent_messages_message_id(cases: Any, admin: dict[str, Any]) -> None:
    first = mail_received(CUSTOMER)
    _deliver(cases, first)
    created = cases.events.wait_for("case_created", case__title=first.subject)[0]["payload"]
    case_id, customer_message = created["case"]["id"], created["first_message"]
    reply = cases.call("add_message", case_id=case_id, data={"body": "Svar fra oss"}, actor=admin)
    ours = f"hd.{case_id}.{reply['id']}.0badcafe.0123456789abcdef@helpdesk.example.com"

    for message_id, mid in ((reply["id"], ours), (customer_message["id"], "confirmation@helpdesk.example.com")):
        sent = NotificationSent(
            delivery_id=mid.__hash__() & 0xFFFF,
            kind="reply",
            channel="email",
            recipient=CUSTOMER,
            case_id=case_id,
            case_message_id=message_id,
            email_message_id=mid,
        )
        cases.publish("notifications", cases.envelope(sent, source="notifications"))

    cases.wait_until(
        lambda: cases.rows("SELECT 1 FROM message WHERE id = :i AND email_message_id = :m", i=reply["id"], m=ours),
        what="email_message_id stored",
    )
    cases.wait_until(
        lambda: len(cases.rows("SELECT 1 FROM processed_event WHERE consumer = 'cases.on_notification_sent'")) >= 2,
        what="both notifications processed",
    )
    by_id = {m["id"]: m for m in cases.call("list_messages", case_id=case_id)}
    assert by_id[reply["id"]]["email_message_id"] == ours
    # the customer's own Message-ID is never overwritten by a confirmation of ours
    assert by_id[customer_message["id"]]["email_message_id"] == first.message_id


def test_a_burst_of_mails_from_one_new_sender_opens_every_case_for_one_contact(cases: Any) -> None:
    # concurrent workers race to create the same unknown contact: no mail may be lost to the race
    sender = f"burst.{uuid.uuid4().hex[:8]}@customer.example"
    mails = [mail_received(sender, subject=f"Burst {sender} {i}") for i in range(12)]
    for mail in mails:
        _deliver(cases, mail)
    created = cases.events.wait_for("case_created", count=12, timeout=30, case__requester__email=sender)
    assert sorted(e["payload"]["case"]["title"] for e in created) == sorted(m.subject for m in mails)
    assert len({e["payload"]["case"]["requester"]["id"] for e in created}) == 1
    rows = cases.rows("SELECT count(*) AS n FROM contact_email WHERE email = :e", e=sender)
    assert rows[0].n == 1
