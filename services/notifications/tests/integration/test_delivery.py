"""Sending survives what the outside world does: a relay that is down, one that refuses, a worker that dies."""

from __future__ import annotations

from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

from notifications_testkit import (
    EVENT_QUEUES,
    Publisher,
    SmtpSink,
    header_ids,
    make_case,
    make_message,
    queue_depth,
    running_worker,
    wait_until,
)

from chassis.testing import EventCollector
from contracts.cases import CaseCreated


def test_relay_down_at_first_is_retried_then_delivered(
    db_url: str, amqp_uri: str, publisher: Publisher, sent_events: EventCollector, work_dir: Path
) -> None:
    sink = SmtpSink()  # not started: connections are refused
    with running_worker(db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir) as w:
        case = make_case(requester_email="henry@customer.example")
        publisher.publish(CaseCreated(case=case, first_message=make_message(case=case)))

        [failing] = wait_until(
            lambda: [d for d in w.deliveries(case_id=case.id) if d["attempts"] >= 2], what="two failed attempts"
        )
        assert failing["status"] == "failed"
        assert "connection" in failing["last_error"].lower()
        assert failing["next_attempt_at"] is not None
        sink.start()
        try:
            [mail] = sink.wait_for("henry@customer.example")
            [event] = sent_events.wait_for("notification_sent", case_id=case.id)
            [row] = wait_until(lambda: [d for d in w.deliveries(case_id=case.id) if d["status"] == "sent"])
        finally:
            sink.stop()
    assert row["attempts"] >= 3
    assert row["last_error"] is None
    assert header_ids(mail["Message-ID"]) == [row["email_message_id"]] == [event["payload"]["email_message_id"]]


def test_permanent_refusal_makes_the_delivery_dead_with_the_reason(
    db_url: str, amqp_uri: str, publisher: Publisher, work_dir: Path
) -> None:
    sink = SmtpSink().start()
    sink.handler.refuse["gone@customer.example"] = "550 5.1.1 <gone@customer.example>: mailbox unavailable"
    try:
        with running_worker(
            db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir
        ) as w:
            case = make_case(requester_email="gone@customer.example")
            publisher.publish(CaseCreated(case=case, first_message=make_message(case=case)))

            [row] = wait_until(lambda: [d for d in w.deliveries(case_id=case.id) if d["status"] == "dead"])
    finally:
        sink.stop()
    assert row["attempts"] == 1  # a 5xx is not worth a retry
    assert "550" in row["last_error"] and "mailbox unavailable" in row["last_error"]
    assert sink.to("gone@customer.example") == []


def test_kill_9_with_events_queued_delivers_every_mail_exactly_once(
    db_url: str, amqp_uri: str, publisher: Publisher, work_dir: Path
) -> None:
    # the relay answers 4xx until the restart, so nothing is accepted while the worker dies mid-work
    sink = SmtpSink().start()
    sink.handler.refuse_all = "451 4.3.0 try again later"
    first_batch = [make_case(requester_email=f"crash{i}@customer.example") for i in range(30)]
    second_batch = [make_case(requester_email=f"late{i}@customer.example") for i in range(10)]
    settings = {
        "db_url": db_url,
        "amqp_uri": amqp_uri,
        "smtp_port": sink.port,
        "log_dir": work_dir,
        "var_dir": work_dir,
        "max_attempts": "100",
    }
    try:
        with running_worker(**settings) as w:
            for case in first_batch:
                publisher.publish(CaseCreated(case=case, first_message=make_message(case=case)))
            wait_until(lambda: [d for d in w.deliveries() if d["attempts"] >= 1], what="a first refused attempt")
            w.process.kill()
        for case in second_batch:
            publisher.publish(CaseCreated(case=case, first_message=make_message(case=case)))
        assert queue_depth(amqp_uri, EVENT_QUEUES[0]) >= len(second_batch)

        sink.handler.refuse_all = None
        with running_worker(**{**settings, "max_attempts": "6"}) as w:
            everyone = [c.requester.email for c in first_batch + second_batch if c.requester and c.requester.email]
            wait_until(lambda: all(sink.to(a) for a in everyone), timeout=60, what="every mail delivered")
            wait_until(
                lambda: len([d for d in w.deliveries(status="sent") if d["recipient"] in everyone]) == len(everyone),
                what="every delivery marked sent",
            )
            rows = [d for d in w.deliveries() if d["recipient"] in everyone]
    finally:
        sink.stop()
    per_recipient = Counter(a for r in sink.handler.received for a in r.rcpt_tos if a in everyone)
    assert per_recipient == Counter(everyone)  # each exactly once
    assert len(rows) == len(everyone)
    assert len({r["email_message_id"] for r in rows}) == len(everyone)


def test_without_a_relay_a_fresh_system_has_its_outbox_folder_before_the_first_mail(
    db_url: str, amqp_uri: str, tmp_path: Path
) -> None:
    fresh = tmp_path / "fresh-var"
    with running_worker(db_url=db_url, amqp_uri=amqp_uri, smtp_port=None, log_dir=tmp_path, var_dir=fresh):
        assert (fresh / "outbox").is_dir() and not any((fresh / "outbox").iterdir())


def test_without_a_relay_mail_is_written_to_the_outbox_folder(
    db_url: str, amqp_uri: str, publisher: Publisher, sent_events: EventCollector, tmp_path: Path
) -> None:
    with running_worker(db_url=db_url, amqp_uri=amqp_uri, smtp_port=None, log_dir=tmp_path, var_dir=tmp_path) as w:
        case = make_case(requester_email="ivy@customer.example")
        publisher.publish(CaseCreated(case=case, first_message=make_message(case=case)))
        [event] = sent_events.wait_for("notification_sent", case_id=case.id)
        [row] = w.deliveries(case_id=case.id)

    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    assert eml.name == f"{row['id']}-{row['email_message_id']}.eml"
    assert eml.read_bytes() == bytes(row["raw_message"])
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert header_ids(mail["Message-ID"]) == [event["payload"]["email_message_id"]]
    assert mail["To"].addresses[0].addr_spec == "ivy@customer.example"
