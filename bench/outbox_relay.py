"""Outbox relay throughput: events/s and CPU ms per event, one confirm wait per message vs per batch (decision 0113).

Writes N outbox rows into a fresh PostgreSQL database, then relays them to a fresh RabbitMQ vhost with
`OutboxRelay.relay_once` (batch of `--batch`, one confirm wait per batch), and the same N rows again with
the earlier path (one `ConfirmedPublisher.publish` = one confirm wait per message) for comparison.

Usage: .venv/bin/python bench/outbox_relay.py [--events 2000] [--batch 100]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from kombu import Connection, Queue
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import make_engine, make_sessionmaker, new_base, unit_of_work, utcnow
from chassis.outbox import OutboxMessageMixin, OutboxRelay, add_event
from chassis.testing import amqp_vhost, pg_database
from contracts.envelope import EventPayload

Base = new_base()
SERVICE = "bench_relay"


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox_message"


class Noted(EventPayload):
    EVENT_TYPE = "noted"
    text: str


def _fill(db: sessionmaker[Session], n: int) -> None:
    with unit_of_work(db) as session:
        for i in range(n):
            add_event(session, OutboxMessage, Noted(text=f"event {i} " + "x" * 400), source=SERVICE)


def _one_by_one(relay: OutboxRelay, db: sessionmaker[Session]) -> int:
    """The relay loop before decision 0113: publish, wait for the confirm, next."""
    done = 0
    while True:
        with unit_of_work(db) as session:
            rows = session.execute(
                select(OutboxMessage.id, OutboxMessage.event_id, OutboxMessage.event_type, OutboxMessage.envelope)
                .where(OutboxMessage.published_at.is_(None))
                .order_by(OutboxMessage.id)
                .limit(relay.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return done
            for row in rows:
                relay.publisher.publish(
                    row.envelope,
                    exchange=relay.exchange,
                    routing_key=row.event_type,
                    message_id=row.event_id,
                    headers={"event_type": row.event_type, "source": SERVICE},
                )
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([r.id for r in rows]))
                .values(published_at=utcnow(), attempts=OutboxMessage.attempts + 1)
            )
            done += len(rows)


def _measure(run: Any, n: int) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    published = run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert published == n, (published, n)
    return {"events_per_s": round(n / wall, 1), "cpu_ms_per_event": round(1000 * cpu / n, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with pg_database("bench_relay") as url, amqp_vhost() as amqp:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        db = make_sessionmaker(engine)
        relay = OutboxRelay(
            service=SERVICE, session_factory=db, model=OutboxMessage, amqp_uri=amqp, batch_size=args.batch
        )
        with Connection(amqp) as conn:  # a durable queue bound to the exchange, as a real consumer has
            Queue("sink", exchange=relay.exchange, routing_key="#", durable=True)(conn.channel()).declare()
        result: dict[str, Any] = {"events": args.events, "batch": args.batch}
        _fill(db, args.events)

        def batched() -> int:
            total = 0
            while published := relay.relay_once():
                total += published
            return total

        result["one_confirm_wait_per_batch"] = _measure(batched, args.events)
        _fill(db, args.events)
        result["one_confirm_wait_per_message"] = _measure(lambda: _one_by_one(relay, db), args.events)
        relay.publisher.close()
        engine.dispose()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
