"""The relay publishes a batch with one confirm wait and marks only what the broker confirmed (decision 0113)."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

import pytest
from conftest import OutboxMessage, ThingMade
from kombu import Connection, Exchange, Queue
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chassis.amqp import BatchNotConfirmed, ConfirmedPublisher, Outgoing, event_exchange
from chassis.db import unit_of_work
from chassis.outbox import OutboxRelay, add_event
from contracts.envelope import Envelope

SERVICE = "chassis_batch"


def _queue(amqp: str, name: str, **arguments: Any) -> Queue:
    queue = Queue(
        name,
        exchange=Exchange(f"{SERVICE}.events", type="topic", durable=True),
        routing_key="#",
        queue_arguments=arguments or None,
    )
    with Connection(amqp) as conn:
        queue(conn.channel()).declare()
    return queue


def _drain(uri: str, queue: Queue, expect: int, timeout: float = 5.0) -> list[str]:
    got: list[str] = []
    with (
        Connection(uri) as conn,
        conn.Consumer(
            queue,
            callbacks=[lambda body, msg: (got.append(Envelope.model_validate(body).open(ThingMade).name), msg.ack())],
            accept=["json"],
        ),
        contextlib.suppress(socket.timeout, TimeoutError),
    ):
        while len(got) < expect:
            conn.drain_events(timeout=timeout)
    return got


def _events(db: sessionmaker[Session], *names: str) -> None:
    with unit_of_work(db) as session:
        for name in names:
            add_event(session, OutboxMessage, ThingMade(name=name), source=SERVICE)


def test_a_batch_is_published_in_order_and_marked(db: sessionmaker[Session], amqp: str) -> None:
    listener = _queue(amqp, "listener")
    names = [f"n{i}" for i in range(250)]
    _events(db, *names)
    relay = OutboxRelay(service=SERVICE, session_factory=db, model=OutboxMessage, amqp_uri=amqp, batch_size=100)
    assert [relay.relay_once(), relay.relay_once(), relay.relay_once(), relay.relay_once()] == [100, 100, 50, 0]
    assert _drain(amqp, listener, expect=250) == names
    with db() as session:
        assert all(r.published_at is not None and r.attempts == 1 for r in session.scalars(select(OutboxMessage)))


def test_only_the_confirmed_prefix_is_marked_when_the_broker_refuses(db: sessionmaker[Session], amqp: str) -> None:
    # a queue that takes one message and refuses the rest: the broker nacks messages 2 and 3
    full = _queue(amqp, "full", **{"x-max-length": 1, "x-overflow": "reject-publish"})
    _events(db, "first", "second", "third")
    relay = OutboxRelay(service=SERVICE, session_factory=db, model=OutboxMessage, amqp_uri=amqp)
    with pytest.raises(BatchNotConfirmed):
        relay.relay_once()
    with db() as session:
        rows = {r.envelope["payload"]["name"]: r for r in session.scalars(select(OutboxMessage))}
    assert rows["first"].published_at is not None and rows["first"].last_error is None
    assert rows["second"].published_at is None and rows["second"].attempts == 1 and rows["second"].last_error
    assert rows["third"].published_at is None and rows["third"].attempts == 0  # kept for the next round

    assert _drain(amqp, full, expect=1) == ["first"]  # room again: the kept rows go out, in order
    with pytest.raises(BatchNotConfirmed):
        relay.relay_once()  # the queue takes one more ("second"); "third" is refused again
    assert _drain(amqp, full, expect=1) == ["second"]
    assert relay.relay_once() == 1
    assert _drain(amqp, full, expect=1) == ["third"]


def test_single_and_batch_publishes_share_one_channel(amqp: str) -> None:
    listener = _queue(amqp, "listener")
    publisher = ConfirmedPublisher(amqp, declare=[event_exchange(SERVICE)])
    exchange = event_exchange(SERVICE)

    def body(name: str) -> dict[str, Any]:
        return Envelope.wrap(ThingMade(name=name), source=SERVICE).model_dump(mode="json")

    try:
        publisher.publish(body("a"), exchange=exchange, routing_key="thing_made")
        assert publisher.publish_batch([Outgoing(body(n), exchange, "thing_made") for n in "bcd"]) == (3, None)
        publisher.publish(body("e"), exchange=exchange, routing_key="thing_made")
        assert publisher.publish_batch([Outgoing(body("f"), exchange, "thing_made")]) == (1, None)
        assert publisher.publish_batch([]) == (0, None)
    finally:
        publisher.close()
    assert _drain(amqp, listener, expect=6) == list("abcdef")
