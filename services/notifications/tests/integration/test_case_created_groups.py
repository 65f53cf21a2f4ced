"""`case_created` consumers applied in groups with their lookups and writes batched (decisions 0152, 0158).

Real PostgreSQL and Redis; the consumers run as nameko would run them (one service instance per delivery,
greenthreads submitting together), without a broker: the group machinery is what is under test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import eventlet
import pytest
import redis
from notifications_testkit import make_case, make_message, migrate
from sqlalchemy import Engine, event, func, select

from chassis.db import utcnow
from chassis.nameko_runtime import Runtime
from chassis.ratelimit import window_key
from chassis.testing import worker_runtime
from contracts.cases import AgentRef, CaseCreated
from contracts.envelope import Envelope
from notifications.db.models import (
    AgentNotification,
    Delivery,
    OutboxMessage,
    ProcessedEvent,
    SuppressedAddress,
    ThreadRef,
)
from notifications.ratelimit import RedisCounter
from notifications.safety.rules import HARD_BOUNCE_REASON
from notifications.settings import NotificationsSettings
from notifications.worker import NotificationsService


class Statements:
    """Counts the SQL statements sent that start with a given text (a measurement, not a fake)."""

    def __init__(self, engine: Engine) -> None:
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(" ".join(statement.split()))

    def count(self, prefix: str) -> int:
        return sum(1 for s in self.seen if s.startswith(prefix))


@pytest.fixture
def runtime(db_url: str) -> Iterator[Runtime]:
    migrate({"NOTIFICATIONS_DATABASE_URL": db_url})
    settings = NotificationsSettings(database_url=db_url, redis_prefix=f"test:groups:{uuid.uuid4().hex}")
    with worker_runtime(settings, OutboxMessage, ProcessedEvent) as runtime:
        yield runtime


@pytest.fixture
def counter(runtime: Runtime) -> Iterator[RedisCounter]:
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    client = redis.Redis.from_url(settings.redis_url)
    yield RedisCounter(client, prefix=settings.redis_prefix)
    for key in client.scan_iter(f"{settings.redis_prefix}:*"):
        client.delete(key)
    client.close()


def _deliver(runtime: Runtime, counter: RedisCounter, consumer: str, bodies: list[dict[str, Any]]) -> list[str]:
    """Every body at once, each with its own service instance, as nameko's workers would hand them over."""

    def one(body: dict[str, Any]) -> str:
        service = NotificationsService()
        service.runtime, service.counter = runtime, counter  # type: ignore[assignment]
        return str(getattr(service, consumer)(body))

    pool = eventlet.GreenPool()
    threads = [pool.spawn(one, body) for body in bodies]
    return [thread.wait() for thread in threads]


def _created(email: str, *, assignee: AgentRef | None = None) -> dict[str, Any]:
    case = make_case(requester_email=email)
    if assignee is not None:
        case = case.model_copy(update={"assignee": assignee})
    first = make_message(case=case, email_message_id=f"<{uuid.uuid4().hex}@customer.example>", author_email=email)
    return Envelope.wrap(CaseCreated(case=case, first_message=first), source="cases").model_dump(mode="json")


def _poison() -> dict[str, Any]:
    body = _created("poison@customer.example")
    body["payload"] = {"case": {"id": "not a case"}}  # a valid envelope whose payload fails to open
    return body


def test_a_group_with_a_poison_event_confirms_every_other_mail_once_and_counts_it_once(
    runtime: Runtime, counter: RedisCounter
) -> None:
    emails = [f"g{n}-{uuid.uuid4().hex[:6]}@customer.example" for n in range(6)]
    bounced = emails[5]
    with runtime.session_factory.begin() as session:
        session.add(SuppressedAddress(address=bounced, reason="hard bounce 5.1.1", status="5.1.1", created_at=utcnow()))
    bodies = [_created(email) for email in emails]
    poison = _poison()
    statements = Statements(runtime.engine)
    # the poison fails the optimistic transaction, so the group is applied again with savepoints: its
    # lookups and rate-limit counts are prepared twice, and every mail must still be counted once
    outcomes = _deliver(runtime, counter, "on_case_created", [*bodies[:3], poison, *bodies[3:], bodies[0]])

    assert sorted(outcomes) == sorted(["applied"] * 6 + ["dead_lettered", "duplicate"])
    assert runtime.dead_letters.sent == [("notifications.on_case_created", poison["event_id"])]  # type: ignore[attr-defined]
    committer = runtime.extras["group:notifications.on_case_created"]
    assert committer.stats.largest == 8 and committer.stats.fallbacks == 1
    case_ids = [body["payload"]["case"]["id"] for body in bodies]
    with runtime.session_factory() as session:
        rows = session.execute(
            select(Delivery.recipient, Delivery.status, Delivery.last_error).where(Delivery.case_id.in_(case_ids))
        ).all()
        refs = session.execute(
            select(ThreadRef.case_id, ThreadRef.author_type).where(ThreadRef.case_id.in_(case_ids))
        ).all()
    assert sorted(r.recipient for r in rows) == sorted(emails)  # one each, the duplicate and the poison none
    assert {r.recipient: r.status for r in rows} == {e: "suppressed" if e == bounced else "queued" for e in emails}
    assert [r.last_error for r in rows if r.recipient == bounced] == [HARD_BOUNCE_REASON]
    # the customer's Message-ID of each case, plus ours for each confirmation that goes
    assert sorted(author for _, author in refs) == sorted(["contact"] * 6 + ["system"] * 5)
    # decision 0158: per try of the group one lookup of suppressions and of mail settings, one INSERT of the
    # thread references (the optimistic try failed before its INSERT), not one of each per mail
    assert statements.count("SELECT suppressed_address.") == 2
    assert statements.count("SELECT customer_mail_setting.") == 2
    assert statements.count("INSERT INTO thread_ref") == 1
    for email in emails:
        key = window_key(counter.prefix, "recipient", email)
        expected = None if email == bounced else b"1"  # a suppressed address is never counted
        assert counter.client.get(key) == expected, email


def test_a_replayed_group_sends_nothing_twice(runtime: Runtime, counter: RedisCounter) -> None:
    bodies = [_created(f"r{n}-{uuid.uuid4().hex[:6]}@customer.example") for n in range(4)]
    assert _deliver(runtime, counter, "on_case_created", bodies) == ["applied"] * 4
    # redelivered after a crash before the acks: every one is a duplicate, nothing new is written
    assert _deliver(runtime, counter, "on_case_created", bodies) == ["duplicate"] * 4
    case_ids = [body["payload"]["case"]["id"] for body in bodies]
    with runtime.session_factory() as session:
        assert session.scalar(select(func.count()).where(Delivery.case_id.in_(case_ids))) == 4
        assert session.scalar(select(func.count()).where(ThreadRef.case_id.in_(case_ids))) == 8
    for body in bodies:
        email = body["payload"]["case"]["requester"]["email"]
        assert counter.client.get(window_key(counter.prefix, "recipient", email)) == b"1"


def test_alerts_of_a_group_ask_for_each_agent_once_and_insert_their_rows_together(
    runtime: Runtime, counter: RedisCounter
) -> None:
    agent = AgentRef(id=7001, name="Ann Agent", email="ann@helpdesk.example")
    statements = Statements(runtime.engine)
    bodies = [_created(f"a{n}@customer.example", assignee=agent) for n in range(5)]
    outcomes = _deliver(runtime, counter, "alert_on_case_created", [*bodies, _poison()])

    assert sorted(outcomes) == sorted(["applied"] * 5 + ["dead_lettered"])
    with runtime.session_factory() as session:
        alerts = session.execute(
            select(AgentNotification.agent_id, AgentNotification.source_event_id).where(
                AgentNotification.agent_id == 7001
            )
        ).all()
        notified = session.scalar(
            select(func.count()).where(
                OutboxMessage.event_type == "agent_notified",
                OutboxMessage.envelope["payload"]["agent_id"].as_integer() == 7001,
            )
        )
    assert sorted(alerts) == sorted((7001, body["event_id"]) for body in bodies)
    assert notified == 5
    # the optimistic try and the savepoint retry after the poison: one preference lookup and one in-app
    # INSERT each, not one per case
    assert statements.count("SELECT agent_preference.") == 2
    assert statements.count("INSERT INTO agent_notification") == 1
