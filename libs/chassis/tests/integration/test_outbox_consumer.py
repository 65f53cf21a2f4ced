"""The outbox relay and the idempotent consumer against real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

import pytest
from conftest import OutboxMessage, ProcessedEvent, Thing, ThingMade
from kombu import Connection, Exchange, Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from chassis.consumer import DEAD_LETTER_QUEUE, DeadLetters, TransientError, consume
from chassis.db import unit_of_work
from chassis.outbox import OutboxRelay, add_event
from contracts.envelope import Envelope


def _drain(uri: str, queue: Queue, expect: int, timeout: float = 5.0) -> list[Any]:
    got: list[Any] = []
    with (
        Connection(uri) as conn,
        conn.Consumer(
            queue, callbacks=[lambda body, msg: (got.append((body, msg.headers)), msg.ack())], accept=["json"]
        ),
        contextlib.suppress(socket.timeout, TimeoutError),
    ):
        while len(got) < expect:
            conn.drain_events(timeout=timeout)
    return got


def test_events_written_with_the_change_are_relayed_once_and_marked(db, amqp):
    listener = Queue("listener", exchange=Exchange("chassis_test.events", type="topic", durable=True), routing_key="#")
    with Connection(amqp) as conn:
        listener(conn.channel()).declare()
    with unit_of_work(db) as session:
        session.add(Thing(name="a"))
        add_event(session, OutboxMessage, ThingMade(name="a"), source="chassis_test")
        add_event(session, OutboxMessage, ThingMade(name="b"), source="chassis_test")
    # a rolled-back transaction leaves no event behind
    with pytest.raises(RuntimeError), unit_of_work(db) as session:
        add_event(session, OutboxMessage, ThingMade(name="ghost"), source="chassis_test")
        raise RuntimeError("boom")

    relay = OutboxRelay(service="chassis_test", session_factory=db, model=OutboxMessage, amqp_uri=amqp)
    assert relay.relay_once() == 2
    assert relay.relay_once() == 0
    assert relay.pending() == 0
    received = _drain(amqp, listener, expect=2)
    names = [Envelope.model_validate(body).open(ThingMade).name for body, _headers in received]
    assert names == ["a", "b"]
    envelope = Envelope.model_validate(received[0][0])
    assert envelope.event_type == "thing_made" and envelope.source == "chassis_test" and envelope.version == 1


def test_relay_keeps_rows_when_the_broker_is_unreachable(db):
    with unit_of_work(db) as session:
        add_event(session, OutboxMessage, ThingMade(name="kept"), source="chassis_test")
    relay = OutboxRelay(
        service="chassis_test", session_factory=db, model=OutboxMessage, amqp_uri="amqp://guest:guest@127.0.0.1:1/"
    )
    with pytest.raises(Exception):
        relay.relay_once()
    with db() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.published_at is None  # kept for the next attempt
        assert row.attempts == 1 and row.last_error  # and the failure is visible to operators


def _consume(db: sessionmaker[Session], amqp: str, body: Any, handler: Any) -> str:
    return consume(
        body,
        service="chassis_test",
        consumer="chassis_test.on_thing",
        session_factory=db,
        processed_model=ProcessedEvent,
        handler=handler,
        dead_letters=DeadLetters(amqp, "chassis_test"),
        retry_delay=0,
    )


def test_consumer_applies_an_event_once_and_dead_letters_poison(db, amqp):
    def make_thing(session: Session, envelope: Envelope) -> None:
        session.add(Thing(name=envelope.open(ThingMade).name))

    body = Envelope.wrap(ThingMade(name="once"), source="x").model_dump(mode="json")
    assert _consume(db, amqp, body, make_thing) == "applied"
    assert _consume(db, amqp, body, make_thing) == "duplicate"
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Thing)) == 1

    # a payload that fails validation goes to the dead-letter queue with the reason; nothing is written
    poison = Envelope(event_type="thing_made", payload={"nom": 1}).model_dump(mode="json")
    assert _consume(db, amqp, poison, make_thing) == "dead_lettered"
    assert _consume(db, amqp, {"not": "an envelope"}, make_thing) == "dead_lettered"
    dead = _drain(amqp, DEAD_LETTER_QUEUE, expect=2)
    assert len(dead) == 2
    assert "ValidationError" in dead[0][1]["x-dead-letter-reason"]
    assert dead[0][1]["x-consumer"] == "chassis_test.on_thing"
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Thing)) == 1


def test_consumer_rolls_back_and_raises_on_transient_failure_so_the_event_is_redelivered(db, amqp):
    calls = []

    def flaky(session: Session, envelope: Envelope) -> None:
        session.add(Thing(name="half"))
        calls.append(1)
        if len(calls) == 1:
            raise TransientError("database restarting")

    body = Envelope.wrap(ThingMade(name="x"), source="x").model_dump(mode="json")
    with pytest.raises(TransientError):
        _consume(db, amqp, body, flaky)
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Thing)) == 0
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    assert _consume(db, amqp, body, flaky) == "applied"
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Thing)) == 1


def test_a_lost_race_on_a_unique_constraint_is_retried_and_a_persistent_violation_dead_lettered(db, amqp):
    with unit_of_work(db) as session:
        session.add(Thing(id=1, name="taken"))
    calls = []

    def loses_the_race_once(session: Session, envelope: Envelope) -> None:
        calls.append(1)
        # the first try collides with a row a concurrent transaction created; the next one sees it
        session.add(Thing(id=1 if len(calls) == 1 else 2, name="mine"))
        session.flush()

    body = Envelope.wrap(ThingMade(name="x"), source="x").model_dump(mode="json")
    assert _consume(db, amqp, body, loses_the_race_once) == "applied"
    assert len(calls) == 2

    def always_collides(session: Session, envelope: Envelope) -> None:
        session.add(Thing(id=1, name="again"))
        session.flush()

    body = Envelope.wrap(ThingMade(name="y"), source="x").model_dump(mode="json")
    assert _consume(db, amqp, body, always_collides) == "dead_lettered"
    dead = _drain(amqp, DEAD_LETTER_QUEUE, expect=1)
    assert "IntegrityError" in dead[0][1]["x-dead-letter-reason"]


def test_relay_reconnects_after_the_broker_drops_its_connection(db, amqp):
    import subprocess
    import time

    listener = Queue("listener", exchange=Exchange("chassis_test.events", type="topic", durable=True), routing_key="#")
    with Connection(amqp) as conn:
        listener(conn.channel()).declare()
    relay = OutboxRelay(service="chassis_test", session_factory=db, model=OutboxMessage, amqp_uri=amqp)
    with unit_of_work(db) as session:
        add_event(session, OutboxMessage, ThingMade(name="before"), source="chassis_test")
    assert relay.relay_once() == 1
    vhost = amqp.rsplit("/", 1)[1]
    subprocess.run(
        ["rabbitmqctl", "-q", "close_all_connections", "--vhost", vhost, "test: broker restart"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with unit_of_work(db) as session:
        add_event(session, OutboxMessage, ThingMade(name="after"), source="chassis_test")
    published = 0
    deadline = time.monotonic() + 10
    while published == 0 and time.monotonic() < deadline:
        try:
            published = relay.relay_once()
        except Exception:  # the first try may still find the dead connection; it must recover
            time.sleep(0.2)
    assert published == 1
    names = [Envelope.model_validate(body).open(ThingMade).name for body, _ in _drain(amqp, listener, expect=2)]
    assert names == ["before", "after"]
