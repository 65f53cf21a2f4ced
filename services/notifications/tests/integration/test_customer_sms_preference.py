"""A contact who prefers SMS: replies and status notices go by SMS through the real twilio client
against the local fake Twilio, never by mail, and internal notes go nowhere."""

from __future__ import annotations

import time
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

from contracts.cases import Actor, CaseRead, CaseUpdated, MessageAdded

AGENT = Actor(type="agent", id=4, name="Kim")


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


def _prefers_sms(case: CaseRead) -> CaseRead:
    data = case.model_dump(mode="json")
    data["requester"]["preferred_channel"] = "sms"
    return CaseRead.model_validate(data)


def test_replies_and_notices_go_by_sms_to_a_contact_who_prefers_it(
    worker: Worker, publisher: Publisher, twilio: FakeTwilio, sink: SmtpSink
) -> None:
    email, phone = "ola.sms@customer.example", "+4791111111"
    case = _prefers_sms(make_case(title="Router", requester_email=email, requester_phone="+47 911 11 111"))
    note = make_message(case=case, author_type="agent", visibility="internal", body="INTERNAL: check contract")
    publisher.publish(MessageAdded(case=case, message=note))
    reply = make_message(case=case, author_type="agent", channel="web", body="The router is replaced.")
    publisher.publish(MessageAdded(case=case, message=reply))
    resolved = CaseRead.model_validate({**case.model_dump(mode="json"), "status": "resolved"})
    publisher.publish(
        CaseUpdated(case=resolved, changes={"status": {"old": "waiting", "new": "resolved"}}, actor=AGENT)
    )

    texts = wait_until(lambda: (m := twilio.to(phone)) and len(m) >= 2 and m, what="two SMS")
    bodies = sorted(t["Body"] for t in texts)
    assert any(b.startswith("The router is replaced.") for b in bodies)
    assert any(f"case #{case.number}" in b and "resolved" in b for b in bodies)
    time.sleep(1.0)  # several send ticks: nothing else follows
    assert len(twilio.to(phone)) == 2
    assert all("INTERNAL" not in t["Body"] for t in twilio.to(phone))
    assert sink.to(email) == []
    rows = worker.deliveries(case_id=case.id)
    assert sorted((r["kind"], r["channel"], r["status"]) for r in rows) == [
        ("reply", "sms", "sent"),
        ("resolved_notice", "sms", "sent"),
    ]


def test_without_the_preference_the_same_contact_is_mailed(
    worker: Worker, publisher: Publisher, twilio: FakeTwilio, sink: SmtpSink
) -> None:
    email, phone = "per.mail@customer.example", "+4792222222"
    case = make_case(title="Printer", requester_email=email, requester_phone=phone)
    publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="agent", channel="web")))
    sink.wait_for(email)
    assert [(d["channel"], d["recipient"]) for d in worker.deliveries(case_id=case.id)] == [("email", email)]
    assert twilio.to(phone) == []
