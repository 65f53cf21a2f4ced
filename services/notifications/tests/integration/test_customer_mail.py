"""Confirmations and magic links: who gets automatic mail, with which headers, and only once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from notifications_testkit import (
    SECRET,
    Publisher,
    SmtpSink,
    Worker,
    header_ids,
    make_case,
    make_message,
    now,
    running_worker,
    wait_until,
)

from chassis.testing import EventCollector
from contracts.cases import CaseCreated
from contracts.portal import MagicLinkRequested
from contracts.tokens import case_id_from_message_id, make_subject_token


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir
    ) as worker:
        yield worker


def test_email_case_gets_a_threaded_rfc3834_confirmation(
    worker: Worker, publisher: Publisher, sink: SmtpSink, sent_events: EventCollector
) -> None:
    case = make_case(title="Printer on fire", requester_email="alice@customer.example")
    first = make_message(
        case=case, email_message_id="CAF-first-1@customer.example", author_email="alice@customer.example"
    )
    publisher.publish(CaseCreated(case=case, first_message=first))

    [mail] = sink.wait_for("alice@customer.example")

    assert mail["Subject"] == f"{make_subject_token(number=case.number, secret=SECRET)} Printer on fire"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert header_ids(mail["In-Reply-To"]) == ["CAF-first-1@customer.example"]
    assert header_ids(mail["References"]) == ["CAF-first-1@customer.example"]
    assert mail["From"].addresses[0].addr_spec == "support@example.com"
    assert mail["From"].addresses[0].display_name == "Support"
    [our_id] = header_ids(mail["Message-ID"])
    assert case_id_from_message_id(our_id, secret=SECRET) == case.id
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert f"#{case.number}" in text and "received" in text
    assert f"#{case.number}" in html

    [event] = sent_events.wait_for("notification_sent", case_id=case.id)
    assert event["payload"]["kind"] == "confirmation"
    assert event["payload"]["email_message_id"] == our_id
    assert event["payload"]["recipient"] == "alice@customer.example"
    # a confirmation answers the customer's mail; it must not claim a case message as its own
    assert event["payload"]["case_message_id"] is None
    [row] = wait_until(lambda: [r for r in worker.deliveries(case_id=case.id) if r["status"] == "sent"])
    assert row["attempts"] == 1 and row["email_message_id"] == our_id


def test_api_case_gets_no_confirmation(worker: Worker, publisher: Publisher, sink: SmtpSink) -> None:
    case = make_case(source="api", requester_email="bob@customer.example")
    envelope = publisher.publish(CaseCreated(case=case, first_message=make_message(case=case, channel="api")))

    wait_until(lambda: worker.processed(envelope.event_id, "on_case_created"), what="case_created processed")
    assert worker.deliveries(case_id=case.id) == []
    assert sink.to("bob@customer.example") == []


@pytest.mark.parametrize(
    ("requester", "author_type", "reason"),
    [
        ("no-reply@shop.example", "contact", "no-reply"),
        ("MAILER-DAEMON@mx.example", "contact", "automatic"),
        ("support@example.com", "contact", "own mailbox"),
        ("carol@customer.example", "system", "automatic"),
    ],
)
def test_robots_and_ourselves_never_get_a_confirmation(
    worker: Worker, publisher: Publisher, sink: SmtpSink, requester: str, author_type: str, reason: str
) -> None:
    case = make_case(requester_email=requester)
    first = make_message(case=case, author_type=author_type, email_message_id=f"auto-{case.id}@x.example")
    envelope = publisher.publish(CaseCreated(case=case, first_message=first))

    wait_until(lambda: worker.processed(envelope.event_id, "on_case_created"), what="case_created processed")
    [row] = worker.deliveries(case_id=case.id)
    assert row["status"] == "suppressed"
    assert reason in row["last_error"]
    assert row["raw_message"] is None
    assert sink.to(requester.lower()) == [] and sink.to(requester) == []


def test_the_same_event_delivered_twice_sends_once(worker: Worker, publisher: Publisher, sink: SmtpSink) -> None:
    case = make_case(requester_email="dave@customer.example")
    envelope = publisher.publish(CaseCreated(case=case, first_message=make_message(case=case)))
    duplicates_before = worker.consumed("case_created", "duplicate")
    publisher.publish(envelope)

    sink.wait_for("dave@customer.example")
    wait_until(lambda: worker.consumed("case_created", "duplicate") > duplicates_before, what="duplicate seen")
    wait_until(lambda: worker.deliveries(case_id=case.id)[0]["status"] == "sent", what="delivery sent")
    assert len(sink.to("dave@customer.example")) == 1
    assert len(worker.deliveries(case_id=case.id)) == 1


def test_magic_link_is_mailed_as_auto_generated(worker: Worker, publisher: Publisher, sink: SmtpSink) -> None:
    link = "https://portal.example.com/auth/magic?token=abc123"
    publisher.publish(
        MagicLinkRequested(
            contact_id=7, email="erin@customer.example", name="Erin", link_url=link, expires_at=now(900)
        ),
        service="portal",
    )

    [mail] = sink.wait_for("erin@customer.example")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert link in mail.get_body(("plain",)).get_content()
    assert link in mail.get_body(("html",)).get_content()
    [our_id] = header_ids(mail["Message-ID"])
    # not a case mail: a reply to it must never thread onto a case
    assert case_id_from_message_id(our_id, secret=SECRET) is None
    # the link is a bearer credential: once sent, its bytes are not kept in the delivery log
    [row] = wait_until(lambda: [d for d in worker.deliveries(kind="magic_link") if d["status"] == "sent"])
    assert row["raw_message"] is None and row["email_message_id"] == our_id
