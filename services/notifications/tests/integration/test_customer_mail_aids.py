"""What customers receive (E1, E6, B12): Reply-To and subject token on every case mail, the agent's
signature from the real cases service (retried, never skipped, while cases is down), and the
resolved/closed notices and completion requests, through the real SMTP sink and RabbitMQ.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cases_kit import Cases
from notifications_testkit import (
    SECRET,
    Publisher,
    SmtpSink,
    Worker,
    make_case,
    make_message,
    running_worker,
    wait_until,
)

from chassis.testing import pg_database
from contracts.cases import Actor, CaseCreated, CaseRead, CaseUpdated, MessageAdded, MessageRead
from contracts.tokens import case_id_from_address, case_number_from_subject

RPC_TIMEOUT = 1.0
AGENT = Actor(type="agent", id=7, name="Kim")
LABELS = ("More information needed: ", "Resolved: ", "Closed: ")


@pytest.fixture(scope="module")
def cases(amqp_uri: str, work_dir: Path) -> Iterator[Cases]:
    with pg_database("cases") as db_url:
        service = Cases(db_url, amqp_uri, work_dir).start()
        try:
            yield service
        finally:
            service.stop()


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path, cases: Cases) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url,
        amqp_uri=amqp_uri,
        smtp_port=sink.port,
        log_dir=work_dir,
        var_dir=work_dir,
        cases_rpc_timeout=str(RPC_TIMEOUT),
    ) as worker:
        yield worker


def _status(case: CaseRead, status: str) -> CaseRead:
    return CaseRead.model_validate({**case.model_dump(mode="json"), "status": status})


def _reply(case: CaseRead, body: str, author_id: int | None = None) -> MessageRead:
    data = make_message(case=case, author_type="agent", channel="web", body=body).model_dump(mode="json")
    return MessageRead.model_validate({**data, "author_id": author_id})


def _assert_aids(mail: Any, case: CaseRead) -> None:
    """Every customer mail of a case names it twice over, both signed (E6 rules 2 and 3)."""
    reply_to = mail["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("support+c") and reply_to.endswith("@example.com")
    assert case_id_from_address(reply_to, secret=SECRET) == case.id
    assert case_number_from_subject(mail["Subject"], secret=SECRET) == case.number
    assert mail["Subject"].count("[#") == 1


def test_confirmation_and_reply_carry_reply_to_and_one_subject_token(
    worker: Worker, publisher: Publisher, sink: SmtpSink
) -> None:
    customer = "hanna@customer.example"
    # a case opened from an answer to an old mail of ours: its title already has prefixes and a token
    case = make_case(title="Re: Printer jam [#77]", requester_email=customer)
    first = make_message(case=case, email_message_id="first-hanna@customer.example", author_email=customer)
    publisher.publish(CaseCreated(case=case, first_message=first))
    publisher.publish(MessageAdded(case=case, message=_reply(case, "Open tray 2.")))

    mails = sink.wait_for(customer, count=2)
    # both events are handled concurrently: tell the two apart by their subjects
    [reply] = [m for m in mails if m["Subject"].startswith("Re: ")]
    [confirmation] = [m for m in mails if m is not reply]
    for mail in (confirmation, reply):
        _assert_aids(mail, case)
        assert "Printer jam" in mail["Subject"] and "[#77]" not in mail["Subject"]
    assert reply["Subject"].startswith("Re: Printer jam [#")
    assert confirmation["Subject"].startswith("[#") and confirmation["Subject"].endswith("] Printer jam")
    assert confirmation["Reply-To"] == reply["Reply-To"]


def test_reply_carries_the_agents_signature_and_waits_for_cases_rather_than_going_without(
    worker: Worker, publisher: Publisher, sink: SmtpSink, cases: Cases
) -> None:
    agent = cases.call("save_agent", data={"email": "kim@example.com", "name": "Kim"})
    cases.call("set_signature", data={"greeting": "Best regards,", "signature": "General Support"})
    cases.call("set_signature", data={"agent_id": agent["id"], "signature": "Kim Larsen\nSecond line"})
    customer = "ivar@customer.example"
    case = make_case(title="Laptop slow", requester_email=customer)

    publisher.publish(MessageAdded(case=case, message=_reply(case, "Please reboot.", author_id=agent["id"])))
    [mail] = sink.wait_for(customer)
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content()
    # B12: the personal signature beats the general one; the greeting comes from the general level
    assert "Please reboot.\n\nBest regards,\nKim Larsen\nSecond line\n" in text
    assert "General Support" not in text
    assert "Best regards," in html and "Kim Larsen<br>" in html and "Second line" in html

    cases.stop()  # its RPC queue stays: the lookup waits for an answer that does not come
    try:
        second = _reply(case, "Did that help?", author_id=agent["id"])
        publisher.publish(MessageAdded(case=case, message=second))
        wait_until(lambda: worker.consumed("message_added", "retried") >= 2, 15, "the reply requeued twice")
        assert len(sink.to(customer)) == 1, "a reply went out without its signature"
        assert [d for d in worker.deliveries(case_id=case.id) if d["case_message_id"] == second.id] == []
    finally:
        cases.start()
    mails = sink.wait_for(customer, count=2, timeout=30)
    assert "Did that help?" in mails[1].get_body(("plain",)).get_content()
    assert "Kim Larsen" in mails[1].get_body(("plain",)).get_content()
    time.sleep(1.0)  # every requeued try ended as that one mail
    assert len(sink.to(customer)) == 2
    assert [d["status"] for d in worker.deliveries(case_id=case.id)] == ["sent", "sent"]


def test_resolved_closed_and_completion_request_notices_reach_the_requester_once(
    worker: Worker, publisher: Publisher, sink: SmtpSink
) -> None:
    customer = "jonas@customer.example"
    case = make_case(title="Mail quota", requester_email=customer)
    solved = CaseRead.model_validate({**_status(case, "resolved").model_dump(mode="json"), "solution": "Quota x2"})
    asked = publisher.publish(
        CaseUpdated(case=_status(case, "waiting"), changes={"status": {"old": "open", "new": "waiting"}}, actor=AGENT)
    )
    publisher.publish(asked)  # redelivered: still one mail
    publisher.publish(CaseUpdated(case=solved, changes={"status": {"old": "waiting", "new": "resolved"}}, actor=AGENT))
    publisher.publish(
        CaseUpdated(case=_status(case, "closed"), changes={"status": {"old": "resolved", "new": "closed"}})
    )

    mails = sink.wait_for(customer, count=3)
    # the events are handled concurrently: pick each mail by what it says
    request, resolved, closed = (next(m for m in mails if m["Subject"].startswith(p)) for p in LABELS)
    for mail in (request, resolved, closed):
        _assert_aids(mail, case)
        assert mail["Auto-Submitted"] == "auto-generated" and mail["X-Auto-Response-Suppress"] == "All"
    assert request["Subject"].startswith("More information needed: Mail quota [#")
    assert "more information" in request.get_body(("plain",)).get_content()
    assert resolved["Subject"].startswith("Resolved: ")
    assert "Quota x2" in resolved.get_body(("plain",)).get_content()
    assert closed["Subject"].startswith("Closed: ")
    rows = wait_until(lambda: (r := worker.deliveries(case_id=case.id)) and len(r) == 3 and r)
    assert sorted(r["kind"] for r in rows) == ["closed_notice", "completion_request", "resolved_notice"]
    assert {r["status"] for r in rows} == {"sent"}


def test_status_changes_a_message_caused_or_the_customer_made_send_no_notice(
    worker: Worker, publisher: Publisher, sink: SmtpSink
) -> None:
    customer = "karin@customer.example"
    case = make_case(title="Quiet please", requester_email=customer)
    contact = Actor(type="contact", id=case.requester.id if case.requester else None, name="Karin")
    note = make_message(case=case, author_type="agent", visibility="internal", body="INTERNAL: VIP customer")
    events = [
        # the agent's reply set waiting: the reply's own mail tells the customer
        CaseUpdated(
            case=_status(case, "waiting"),
            changes={"status": {"old": "open", "new": "waiting"}},
            actor=AGENT,
            message_id=123,
        ),
        CaseUpdated(case=_status(case, "closed"), changes={"status": {"old": "open", "new": "closed"}}, actor=contact),
        CaseUpdated(case=case, changes={"priority": {"old": "low", "new": "high"}}, actor=AGENT),
    ]
    envelopes = [publisher.publish(e) for e in events]
    note_envelope = publisher.publish(MessageAdded(case=case, message=note))
    wait_until(
        lambda: (
            all(worker.processed(e.event_id, "on_case_updated") for e in envelopes)
            and worker.processed(note_envelope.event_id, "on_message_added")
        ),
        what="status changes and the note processed",
    )
    # a robot requester gets no notice either, and the log says why
    robot_case = make_case(title="Robot", requester_email="no-reply@vendor.example")
    robot = publisher.publish(
        CaseUpdated(case=_status(robot_case, "resolved"), changes={"status": {"old": "open", "new": "resolved"}})
    )
    wait_until(lambda: worker.processed(robot.event_id, "on_case_updated"), what="robot notice processed")

    time.sleep(1.0)  # several send ticks
    assert sink.to(customer) == []
    assert worker.deliveries(case_id=case.id) == []
    [row] = worker.deliveries(case_id=robot_case.id)
    assert (row["kind"], row["status"]) == ("resolved_notice", "suppressed")
    assert sink.to("no-reply@vendor.example") == []
