"""Replies by SMS (A5, E1): the real twilio client against a local fake Twilio, exactly once, retried, dead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from notifications_testkit import (
    FakeTwilio,
    Publisher,
    SmtpSink,
    Worker,
    make_case,
    make_message,
    running_worker,
    wait_until,
)

from chassis.testing import EventCollector
from contracts.cases import MessageAdded


@pytest.fixture(scope="module")
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, twilio: FakeTwilio, work_dir: Path) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir, **twilio.settings
    ) as worker:
        yield worker


def test_a_reply_on_an_sms_case_goes_by_sms_once_even_when_the_event_comes_twice(
    worker: Worker, publisher: Publisher, twilio: FakeTwilio, sink: SmtpSink, sent_events: EventCollector
) -> None:
    case = make_case(source="sms", requester_email="sms-and-mail@customer.example", requester_phone="+47 912 34 567")
    reply = make_message(case=case, author_type="agent", body="Your new SIM card is on its way.")
    envelope = publisher.publish(MessageAdded(case=case, message=reply))
    publisher.publish(envelope)  # the broker redelivers: still one SMS

    [sms] = wait_until(lambda: twilio.to("+4791234567"), what="the SMS")
    assert sms["From"] == "+4790000000"
    assert sms["Body"] == f"Your new SIM card is on its way.\n(Case #{case.number})"
    [event] = sent_events.wait_for("notification_sent", case_id=case.id)
    assert event["payload"]["channel"] == "sms" and event["payload"]["case_message_id"] == reply.id
    [row] = worker.deliveries(case_id=case.id)
    assert (row["channel"], row["status"], row["recipient"], row["attempts"]) == ("sms", "sent", "+4791234567", 1)
    assert sink.to("sms-and-mail@customer.example") == []  # not by mail as well
    assert len(twilio.to("+4791234567")) == 1


def test_a_contact_with_only_a_phone_gets_sms_and_one_with_email_on_an_email_case_gets_mail(
    worker: Worker, publisher: Publisher, twilio: FakeTwilio, sink: SmtpSink
) -> None:
    phone_only = make_case(source="phone", requester_email=None, requester_phone="+4798765432")
    mail_case = make_case(requester_email="prefers-mail@customer.example", requester_phone="+4711111111")
    note = make_message(case=phone_only, author_type="agent", visibility="internal", body="INTERNAL")
    envelopes = [
        publisher.publish(MessageAdded(case=phone_only, message=make_message(case=phone_only, author_type="agent"))),
        publisher.publish(MessageAdded(case=mail_case, message=make_message(case=mail_case, author_type="agent"))),
        publisher.publish(MessageAdded(case=phone_only, message=note)),
    ]

    wait_until(lambda: twilio.to("+4798765432"), what="SMS to the phone-only contact")
    sink.wait_for("prefers-mail@customer.example")
    wait_until(
        lambda: all(worker.processed(e.event_id, "on_message_added") for e in envelopes), what="all three events"
    )
    assert twilio.to("+4711111111") == []
    assert [(d["channel"], d["recipient"]) for d in worker.deliveries(case_id=mail_case.id)] == [
        ("email", "prefers-mail@customer.example")
    ]
    assert len(twilio.to("+4798765432")) == 1  # the internal note never leaves
    assert all("INTERNAL" not in m["Body"] for m in twilio.received)


def test_twilio_refusing_a_number_makes_the_sms_dead_and_a_5xx_is_retried(
    worker: Worker, publisher: Publisher, twilio: FakeTwilio
) -> None:
    twilio.fail_with = (400, 21211, "The 'To' number is not a valid phone number.")
    try:
        bad = make_case(source="sms", requester_email=None, requester_phone="+4700000001")
        publisher.publish(MessageAdded(case=bad, message=make_message(case=bad, author_type="agent")))
        [dead] = wait_until(lambda: [d for d in worker.deliveries(case_id=bad.id) if d["status"] == "dead"])
        assert dead["attempts"] == 1
        assert dead["last_error"].startswith("twilio: 400 21211: ")
        assert dead["last_error"].endswith("The 'To' number is not a valid phone number.")

        twilio.fail_with = (503, 20500, "Service unavailable")
        later = make_case(source="sms", requester_email=None, requester_phone="+4700000002")
        publisher.publish(MessageAdded(case=later, message=make_message(case=later, author_type="agent")))
        wait_until(lambda: [d for d in worker.deliveries(case_id=later.id) if d["attempts"] >= 2], what="retries")
        [failing] = worker.deliveries(case_id=later.id)
        assert failing["status"] == "failed" and "503" in failing["last_error"]
    finally:
        twilio.fail_with = None
    wait_until(lambda: twilio.to("+4700000002"), what="the SMS after Twilio recovered")
    [row] = wait_until(lambda: [d for d in worker.deliveries(case_id=later.id) if d["status"] == "sent"])
    assert row["attempts"] >= 3
