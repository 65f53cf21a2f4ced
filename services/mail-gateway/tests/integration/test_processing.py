"""The worker: parsing, classification and the threading decision, as seen in `mail_received`."""

from __future__ import annotations

from datetime import UTC, datetime

from chassis.testing import SyncRpc
from contracts.cases import (
    AuthorType,
    CaseCreated,
    CaseRead,
    Channel,
    MessageAdded,
    MessageRead,
    Priority,
    Source,
    Status,
    Visibility,
)
from contracts.tokens import make_message_id

SECRET = "test-secret-key-for-mail-gateway-0123456789"  # the key the processes run with (conftest)


def _case(case_id: int) -> CaseRead:
    now = datetime.now(UTC)
    return CaseRead(
        id=case_id,
        number=1000 + case_id,
        title="Printer",
        status=Status.NEW,
        priority=Priority.MEDIUM,
        source=Source.EMAIL,
        version=1,
        created_at=now,
        updated_at=now,
    )


def _message(case_id: int, email_message_id: str) -> MessageRead:
    return MessageRead(
        id=case_id * 10,
        case_id=case_id,
        author_type=AuthorType.CONTACT,
        visibility=Visibility.PUBLIC,
        channel=Channel.EMAIL,
        body_text="...",
        email_message_id=email_message_id,
        created_at=datetime.now(UTC),
    )


def test_a_reply_carrying_our_signed_message_id_threads_onto_its_case(stack):
    ours = make_message_id(case_id=42, message_id=7, secret=SECRET, domain="helpdesk.example.com")
    mid = stack.unique("signed")
    raw = stack.mail(
        message_id=mid,
        subject="Re: Printer on floor 3 is broken",
        headers={
            # the mailer dropped In-Reply-To's link to us; ours is in the middle of References
            "In-Reply-To": "<unknown-123@customer.test>",
            "References": f"<first@customer.test> <{ours}> <unknown-123@customer.test>",
        },
    )
    assert stack.send(raw) == {}
    [event] = stack.events.wait_for("mail_received", message_id=mid)
    assert event["payload"]["thread"] == {"case_id": 42, "reason": "signed_message_id"}
    assert event["payload"]["references"] == ["first@customer.test", ours, "unknown-123@customer.test"]
    [row] = stack.wait_rows(lambda rows: rows[0].status == "processed", message_id=mid)
    assert (row.thread_case_id, row.thread_reason) == (42, "signed_message_id")


def test_a_forged_signature_does_not_thread(stack):
    forged = make_message_id(case_id=42, message_id=7, secret="someone-elses-key", domain="helpdesk.example.com")
    mid = stack.unique("forged")
    assert stack.send(stack.mail(message_id=mid, headers={"In-Reply-To": f"<{forged}>"})) == {}
    [event] = stack.events.wait_for("mail_received", message_id=mid)
    assert event["payload"]["thread"] == {"case_id": None, "reason": "new_case"}


def test_a_reply_to_a_known_customer_message_id_threads_after_cases_tells_us_the_case(stack):
    first = stack.unique("first")
    assert stack.send(stack.mail(message_id=first)) == {}
    stack.events.wait_for("mail_received", message_id=first)

    # cases turned that mail into a message of case 77 and says so
    stack.publish_cases_event(MessageAdded(case=_case(77), message=_message(77, first)))
    stack.wait_rows(lambda rows: rows[0].case_id == 77, message_id=first)

    reply = stack.unique("reply")
    raw = stack.mail(
        message_id=reply, subject="Re: Printer", headers={"In-Reply-To": f"<{first}>", "References": f"<{first}>"}
    )
    assert stack.send(raw) == {}
    [event] = stack.events.wait_for("mail_received", message_id=reply)
    assert event["payload"]["thread"] == {"case_id": 77, "reason": "known_message_id"}


def test_case_created_also_teaches_the_case_of_the_first_mail(stack):
    first = stack.unique("created")
    assert stack.send(stack.mail(message_id=first)) == {}
    stack.events.wait_for("mail_received", message_id=first)
    stack.publish_cases_event(CaseCreated(case=_case(88), first_message=_message(88, first)))
    stack.wait_rows(lambda rows: rows[0].case_id == 88, message_id=first)

    reply = stack.unique("reply-created")
    assert stack.send(stack.mail(message_id=reply, headers={"References": f"<{first}>"})) == {}
    [event] = stack.events.wait_for("mail_received", message_id=reply)
    assert event["payload"]["thread"] == {"case_id": 88, "reason": "known_message_id"}


def test_the_audit_names_the_case_a_mail_opened_even_without_a_message_id(stack, rpc):
    subject = f"No Message-ID {stack.unique('nomid')}"
    assert stack.send(stack.mail(message_id=None, subject=subject)) == {}
    [event] = stack.events.wait_for("mail_received", subject=subject)
    mail_id = event["payload"]["inbound_mail_id"]
    # one mail to two mailboxes: two rows with one Message-ID, and each became a case of its own
    sales = "sales-audit@example.com"
    stack.add_mailbox(sales, "Sales", "Sales")
    shared = stack.unique("two-boxes")
    assert stack.send(stack.mail(message_id=shared), rcpt=[stack.support, sales]) == {}
    both = stack.events.wait_for("mail_received", count=2, message_id=shared)
    ids = {e["payload"]["mailbox"]: e["payload"]["inbound_mail_id"] for e in both}

    stack.publish_cases_event(CaseCreated(case=_case(91), first_message=_message(91, ""), inbound_mail_id=mail_id))
    for case_id, mailbox in ((92, stack.support), (93, sales)):
        first = _message(case_id, shared)
        stack.publish_cases_event(CaseCreated(case=_case(case_id), first_message=first, inbound_mail_id=ids[mailbox]))
    stack.wait_rows(lambda rows: rows[0].case_id == 91, id=mail_id)
    rows = stack.wait_rows(lambda rows: {r.case_id for r in rows} == {92, 93}, message_id=shared)
    assert {r.id: r.case_id for r in rows} == {ids[stack.support]: 92, ids[sales]: 93}
    page = rpc.call("mail_gateway", "list_inbound_mail", filters={"case_id": 91})
    assert [(i["id"], i["case_id"]) for i in page["items"]] == [(mail_id, 91)]


def test_an_auto_reply_is_classified(stack):
    mid = stack.unique("oof")
    raw = stack.mail(
        message_id=mid,
        subject="Automatic reply: Printer on floor 3 is broken",
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<something@helpdesk.example.com>"},
    )
    assert stack.send(raw) == {}
    [event] = stack.events.wait_for("mail_received", message_id=mid)
    assert (event["payload"]["kind"], event["payload"]["kind_reason"]) == ("auto_reply", "header:auto-submitted")
    [row] = stack.wait_rows(lambda rows: rows[0].status == "processed", message_id=mid)
    assert row.kind == "auto_reply"


def test_a_malformed_mail_still_emits_mail_received_with_defects(stack):
    mid = stack.unique("malformed")
    # no From header, and a multipart body whose closing boundary never comes
    raw = (
        f"Subject: help, nothing works\r\nMessage-ID: <{mid}>\r\n"
        'Content-Type: multipart/mixed; boundary="zzz"\r\n\r\n'
        "--zzz\r\nContent-Type: text/plain\r\n\r\nthe body survives\r\n"
    ).encode()
    assert stack.send(raw, sender="someone@customer.test") == {}
    [event] = stack.events.wait_for("mail_received", message_id=mid)
    payload = event["payload"]
    assert "header:from:missing" in payload["defects"]
    assert "CloseBoundaryNotFoundDefect" in payload["defects"]
    assert payload["from_address"]["email"] == "someone@customer.test"  # the SMTP envelope sender
    assert payload["subject"] == "help, nothing works"
    assert "the body survives" in payload["text_body"]
    [row] = stack.wait_rows(lambda rows: rows[0].status != "received", message_id=mid)
    assert "header:from:missing" in row.defects


def test_rpc_health_and_list_inbound_mail(stack):
    mid = stack.unique("listed")
    assert stack.send(stack.mail(message_id=mid, subject="Listed via RPC")) == {}
    stack.events.wait_for("mail_received", message_id=mid)
    rpc = SyncRpc(stack.amqp_uri)
    try:
        assert rpc.call("mail_gateway", "health") == {"status": "ok"}
        page = rpc.call("mail_gateway", "list_inbound_mail", filters={"message_id": mid})
        [item] = page["items"]
        assert (item["subject"], item["status"], item["mailbox"]) == (
            "Listed via RPC",
            "processed",
            "support@example.com",
        )
        assert item["thread_reason"] == "new_case" and item["kind"] == "normal"
        newest_two = rpc.call("mail_gateway", "list_inbound_mail", filters={"limit": 2})
        assert len(newest_two["items"]) == 2 and newest_two["next_before_id"] == newest_two["items"][1]["id"]
        assert newest_two["items"][0]["id"] > newest_two["items"][1]["id"]
        older = rpc.call(
            "mail_gateway", "list_inbound_mail", filters={"limit": 2, "before_id": newest_two["next_before_id"]}
        )
        assert all(i["id"] < newest_two["next_before_id"] for i in older["items"])
    finally:
        rpc.close()


def test_many_case_events_at_once_are_learned_in_groups_and_replays_change_nothing(stack):
    """`case_created` / `message_added` arrive in bursts (one per mail): grouped, written in two statements."""
    import time

    from kombu import Connection, Exchange
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from contracts.envelope import Envelope
    from mail_gateway.db.models import CaseRef

    firsts = [stack.unique("burst") for _ in range(30)]
    for mid in firsts:
        assert stack.send(stack.mail(message_id=mid)) == {}
    stack.wait_emitted(firsts)
    exchange = Exchange("cases.events", type="topic", durable=True)

    def publish(bodies: list[dict]) -> None:
        with Connection(stack.amqp_uri) as conn:
            producer = conn.Producer()
            for body in bodies:
                producer.publish(
                    body,
                    exchange=exchange,
                    routing_key=body.get("event_type", "case_created"),
                    serializer="json",
                    declare=[exchange],
                    delivery_mode=2,
                )

    def case_ids() -> list[int | None]:
        stack.engine.dispose()
        return [row.case_id for mid in firsts for row in stack.rows(message_id=mid)]

    def wait_for(expected: list[int]) -> None:
        deadline = time.monotonic() + 20
        while case_ids() != expected:
            assert time.monotonic() < deadline, f"learned {case_ids()}, expected {expected}"
            time.sleep(0.2)

    bodies = [
        Envelope.wrap(
            CaseCreated(case=_case(500 + i), first_message=_message(500 + i, mid)), source="cases"
        ).model_dump(mode="json")
        for i, mid in enumerate(firsts)
    ]
    # all at once, a poison message in the middle, and a replay of each
    publish([*bodies[:15], {"not": "an envelope"}, *bodies[15:], *bodies])
    wait_for([500 + i for i in range(30)])
    # a later event moves the first mail's message to another case: the newest fact wins
    moved = Envelope.wrap(MessageAdded(case=_case(600), message=_message(600, firsts[0])), source="cases")
    publish([moved.model_dump(mode="json"), *bodies[:1]])  # and the old case_created replayed once more
    wait_for([600] + [500 + i for i in range(1, 30)])
    time.sleep(1.0)  # the replay, if it were applied again, would have moved it back by now
    assert case_ids()[0] == 600
    with Session(stack.engine) as session:
        numbers = dict(session.execute(select(CaseRef.number, CaseRef.case_id).where(CaseRef.number >= 1500)).all())
    assert {n: c for n, c in numbers.items() if n < 1530} == {1500 + i: 500 + i for i in range(30)}
