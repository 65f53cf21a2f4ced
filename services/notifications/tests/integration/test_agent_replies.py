"""Agent replies go out as threaded mail; internal notes never leave the building."""

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
from contracts.cases import CaseCreated, MessageAdded
from contracts.tokens import case_id_from_message_id, make_subject_token


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir
    ) as worker:
        yield worker


def _publish_and_wait(worker: Worker, publisher: Publisher, payload: CaseCreated | MessageAdded) -> None:
    """Publish, then wait for the *customer mail* consumer (agent alerts consume the same events)."""
    envelope = publisher.publish(payload)
    consumer = "on_case_created" if isinstance(payload, CaseCreated) else "on_message_added"
    wait_until(lambda: worker.processed(envelope.event_id, consumer), what=f"{consumer} processed")


def test_public_agent_reply_threads_onto_the_customers_mail(
    worker: Worker, publisher: Publisher, sink: SmtpSink, sent_events: EventCollector
) -> None:
    customer = "frank@customer.example"
    case = make_case(title="VPN down", requester_email=customer, requester_name="Frank")
    first = make_message(case=case, email_message_id="first-frank@customer.example", created_at=now(-30))
    _publish_and_wait(worker, publisher, CaseCreated(case=case, first_message=first))
    [confirmation] = sink.wait_for(customer)
    [confirmation_id] = header_ids(confirmation["Message-ID"])
    follow_up = make_message(case=case, email_message_id="<second-frank@customer.example>")
    _publish_and_wait(worker, publisher, MessageAdded(case=case, message=follow_up))
    reply = make_message(case=case, author_type="agent", channel="web", body="Try turning it off and on again.")
    publisher.publish(MessageAdded(case=case, message=reply))

    mails = sink.wait_for(customer, count=2)
    mail = mails[1]
    assert mail["Subject"] == f"Re: VPN down {make_subject_token(number=case.number, secret=SECRET)}"
    assert header_ids(mail["In-Reply-To"]) == ["second-frank@customer.example"]
    assert header_ids(mail["References"]) == [
        "first-frank@customer.example",
        confirmation_id,
        "second-frank@customer.example",
    ]
    # a human's reply, not an automatic one (RFC 3834): the customer's auto-responder may answer it
    assert mail["Auto-Submitted"] is None
    assert "Try turning it off and on again." in mail.get_body(("plain",)).get_content()
    assert "Try turning it off and on again." in mail.get_body(("html",)).get_content()
    [our_id] = header_ids(mail["Message-ID"])
    assert case_id_from_message_id(our_id, secret=SECRET) == case.id

    [event] = sent_events.wait_for("notification_sent", case_message_id=reply.id)
    assert event["payload"]["kind"] == "reply"
    assert event["payload"]["case_id"] == case.id
    assert event["payload"]["email_message_id"] == our_id


def test_internal_note_sends_nothing(worker: Worker, publisher: Publisher, sink: SmtpSink) -> None:
    customer = "gina@customer.example"
    case = make_case(source="phone", requester_email=customer)
    note = make_message(case=case, author_type="agent", visibility="internal", channel="web", body="Customer is rude")
    _publish_and_wait(worker, publisher, MessageAdded(case=case, message=note))
    # a public reply published afterwards proves the worker and the sender are running
    reply = make_message(case=case, author_type="agent", channel="web", body="We are on it.")
    publisher.publish(MessageAdded(case=case, message=reply))

    [mail] = sink.wait_for(customer)
    assert "We are on it." in mail.get_body(("plain",)).get_content()
    assert [d["case_message_id"] for d in worker.deliveries(case_id=case.id)] == [reply.id]
    assert all("rude" not in m.as_string() for m in sink.to(customer))


def test_customer_messages_and_cases_without_requester_email_send_nothing(worker: Worker, publisher: Publisher) -> None:
    case = make_case(requester_email=None)
    _publish_and_wait(worker, publisher, MessageAdded(case=case, message=make_message(case=case)))
    reply = make_message(case=case, author_type="agent", channel="web")
    _publish_and_wait(worker, publisher, MessageAdded(case=case, message=reply))

    assert worker.deliveries(case_id=case.id) == []
