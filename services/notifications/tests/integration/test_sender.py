"""The sender (decision 0098): several senders claim chunks of due deliveries; none is sent twice, none is lost."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from notifications_testkit import Publisher, SmtpSink, make_case, make_message, migrate, running_worker, wait_until
from sqlalchemy import select

from chassis.db import make_engine, make_sessionmaker, utcnow
from chassis.nameko_runtime import Runtime
from contracts.cases import CaseCreated
from notifications import sender
from notifications.db.models import Delivery, OutboxMessage, ProcessedEvent
from notifications.settings import NotificationsSettings


def test_many_events_through_several_senders_give_one_mail_each(
    db_url: str, amqp_uri: str, publisher: Publisher, work_dir: Path
) -> None:
    sink = SmtpSink().start()
    settings = {"send_concurrency": "4", "send_chunk_size": "3", "rate_limit_per_recipient": "1000"}
    try:
        with running_worker(
            db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir, **settings
        ) as worker:
            addresses = [f"s{i}@sender.example" for i in range(120)]
            for address in addresses:
                case = make_case(requester_email=address)
                publisher.publish(CaseCreated(case=case, first_message=make_message(case=case)))
            wait_until(lambda: all(sink.to(a) for a in addresses), timeout=90, what="a mail to everyone")
            rows = wait_until(
                lambda: (r := worker.deliveries(kind="confirmation")) and all(d["status"] == "sent" for d in r) and r,
                what="every delivery recorded as sent",
            )
            assert len(rows) == len(addresses) and {d["attempts"] for d in rows} == {1}
            assert sorted(len(sink.to(a)) for a in addresses) == [1] * len(addresses)
    finally:
        sink.stop()


class _Relay:
    def wake(self) -> None:
        return None


class _FlakyMailer:
    """Accepts `accept` mails, then the relay hangs up."""

    def __init__(self, accept: int) -> None:
        self.accept, self.sent = accept, []  # type: ignore[var-annotated]
        self.lock = threading.Lock()

    def send(self, *, delivery_id: int, sender: str, recipient: str, message_id: str, raw: bytes) -> None:
        with self.lock:
            if len(self.sent) >= self.accept:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            self.sent.append(recipient)

    def close(self) -> None:
        return None


@pytest.fixture
def runtime(db_url: str, work_dir: Path) -> Iterator[Runtime]:
    migrate({"NOTIFICATIONS_DATABASE_URL": db_url, "HELPDESK_VAR_DIR": str(work_dir)})
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    settings = NotificationsSettings(database_url=db_url, send_chunk_size=4, send_concurrency=1, send_batch_size=50)
    dead: Any = None
    yield Runtime(
        settings=settings,
        engine=engine,
        session_factory=factory,
        outbox_model=OutboxMessage,
        processed_model=ProcessedEvent,
        relay=_Relay(),  # type: ignore[arg-type]
        dead_letters=dead,
    )
    engine.dispose()


def test_when_the_relay_hangs_up_mid_chunk_the_rest_waits_queued_with_no_attempt_spent(runtime: Runtime) -> None:
    now = utcnow()
    with runtime.session_factory() as session, session.begin():
        for i in range(10):
            session.add(
                Delivery(
                    kind="chunk_test",
                    channel="email",
                    recipient=f"c{i}@chunk.example",
                    source_event_id=f"chunk-{i}",
                    email_message_id=f"chunk-{i}@x",
                    raw_message=b"Subject: x\r\n\r\nx\r\n",
                    status="queued",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    mailer = _FlakyMailer(accept=6)
    settings: NotificationsSettings = runtime.settings  # type: ignore[assignment]
    tried = sender.send_due(runtime=runtime, settings=settings, mailer=mailer, mailer_factory=lambda: mailer)
    # two chunks of four: six sent, the seventh found the relay gone; the rest wait for it without being tried
    assert tried == 7

    with runtime.session_factory() as session:
        rows = session.scalars(select(Delivery).where(Delivery.kind == "chunk_test").order_by(Delivery.id)).all()
        assert [r.status for r in rows] == ["sent"] * 6 + ["failed"] + ["queued"] * 3
        assert [r.attempts for r in rows] == [1] * 7 + [0] * 3
        assert "disconnected" in (rows[6].last_error or "")
        # they wait for the failed one's next try (decision 0227): no attempt spent, the reason said
        assert {r.next_attempt_at for r in rows[7:]} == {rows[6].next_attempt_at}
        assert all((r.last_error or "").startswith("waiting: the global relay") for r in rows[7:])
        # every sent one announced once, in the same transaction as its status
        ids = {r.id for r in rows}
        envelopes = session.scalars(select(OutboxMessage.envelope).where(OutboxMessage.created_at >= now)).all()
        announced = [e["payload"]["delivery_id"] for e in envelopes if e["payload"].get("delivery_id") in ids]
        assert sorted(announced) == [r.id for r in rows[:6]]
