"""Transactional outbox: events are rows written with the state change, then relayed with publisher confirms.

A crash between commit and publish loses nothing (the row stays pending); a crash between publish
and marking the row sent publishes it again, which idempotent consumers absorb (at-least-once).
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime
from typing import Any, cast

from kombu import Exchange
from sqlalchemy import BigInteger, Index, Integer, String, Text, func, select, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker

from chassis.amqp import ConfirmedPublisher, Outgoing, event_exchange
from chassis.db import JSONType, UTCDateTime, unit_of_work, utcnow
from chassis.logging import get_logger
from chassis.metrics import EVENTS_PUBLISHED, OUTBOX_PENDING
from contracts.envelope import Envelope, EventPayload

log = get_logger(__name__)

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite, so autoincrement works on both
BigId = BigInteger().with_variant(Integer(), "sqlite")


class OutboxMessageMixin:
    """Columns of a service's `outbox_message` table (mix into the service's own Base)."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    envelope: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        # a partial index keeps "what is pending" cheap however long the history grows
        return (
            Index(
                "ix_outbox_message_pending",
                "id",
                postgresql_where=text("published_at IS NULL"),
                sqlite_where=text("published_at IS NULL"),
            ),
        )


class ProcessedEventMixin:
    """Columns of a service's `processed_event` table: which consumer has applied which event."""

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), default="applied")
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def outbox_tables(base: type[DeclarativeBase]) -> tuple[type[OutboxMessageMixin], type[ProcessedEventMixin]]:
    """A service's `outbox_message` and `processed_event` tables, on its own declarative base.

    Every service has both tables with the same schema (its migrations create them alike), so they are
    declared here once::

        class Base(DeclarativeBase):
            metadata = service_metadata("portal")
            type_annotation_map = TYPE_ANNOTATION_MAP


        OutboxMessage, ProcessedEvent = outbox_tables(Base)
    """
    namespace = {"__module__": base.__module__}
    outbox = type("OutboxMessage", (OutboxMessageMixin, base), {**namespace, "__tablename__": "outbox_message"})
    processed = type("ProcessedEvent", (ProcessedEventMixin, base), {**namespace, "__tablename__": "processed_event"})
    return cast(type[OutboxMessageMixin], outbox), cast(type[ProcessedEventMixin], processed)


def add_event(
    session: Session,
    model: type[OutboxMessageMixin],
    payload: EventPayload,
    *,
    source: str,
    correlation_id: str | None = None,
    event_id: str | None = None,
) -> Envelope:
    """Record an event in the outbox inside the caller's transaction.

    A given `event_id` (derived from an outside id, e.g. a webhook's) makes a repeat a unique violation.
    """
    envelope = Envelope.wrap(payload, source=source, correlation_id=correlation_id)
    if event_id is not None:
        envelope = envelope.model_copy(update={"event_id": event_id})
    session.add(
        model(  # type: ignore[call-arg]
            event_id=envelope.event_id,
            event_type=envelope.event_type,
            envelope=envelope.model_dump(mode="json"),
        )
    )
    return envelope


class OutboxRelay:
    """Publishes pending outbox rows to `<service>.events` (routing key = event type), confirms on."""

    def __init__(
        self,
        *,
        service: str,
        session_factory: sessionmaker[Session],
        model: type[OutboxMessageMixin],
        amqp_uri: str,
        batch_size: int = 100,
        idle_interval: float = 0.25,
    ) -> None:
        self.service = service
        self.session_factory = session_factory
        self.model = model
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.exchange: Exchange = event_exchange(service)
        self.publisher = ConfirmedPublisher(amqp_uri, declare=[self.exchange])
        self._wake = threading.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        """Ask the loop to run now (called after a transaction that wrote events)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published.

        The batch is published with one confirm wait (decision 0113). Rows the broker confirmed before a
        failure are still marked (fewer duplicates after a broker hiccup); the first unconfirmed row
        records the error and the failure is raised after the commit.
        """
        model = self.model
        failure: Exception | None = None
        with unit_of_work(self.session_factory) as session:
            rows = session.execute(
                select(model.id, model.event_id, model.event_type, model.envelope)
                .where(model.published_at.is_(None))
                .order_by(model.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            # one confirm wait for the whole batch (decision 0113); the confirmed prefix counts as published
            confirmed, failure = self.publisher.publish_batch(
                [
                    Outgoing(
                        row.envelope,
                        self.exchange,
                        row.event_type,
                        {"message_id": row.event_id, "headers": {"event_type": row.event_type, "source": self.service}},
                    )
                    for row in rows
                ]
            )
            published = [row.id for row in rows[:confirmed]]
            for row in rows[:confirmed]:
                EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
            if failure is not None:
                session.execute(
                    update(model)
                    .where(model.id == rows[confirmed].id)
                    .values(attempts=model.attempts + 1, last_error=str(failure)[:1000])
                )
            if published:
                session.execute(
                    update(model)
                    .where(model.id.in_(published))
                    .values(published_at=utcnow(), attempts=model.attempts + 1)
                )
        if failure is not None:
            raise failure
        return len(published)

    def pending(self) -> int:
        with self.session_factory() as session:
            count = session.scalar(
                select(func.count()).select_from(self.model).where(self.model.published_at.is_(None))
            )
        OUTBOX_PENDING.labels(self.service).set(count or 0)
        return count or 0

    def run(self) -> None:
        """Loop until stopped: drain while there is a backlog, then wait for a wake-up or the idle tick."""
        backoff = 0.5
        last_gauge = 0.0
        while not self._stop.is_set():
            try:
                published = self.relay_once()
                backoff = 0.5
            except Exception as exc:  # broker or database down: keep the rows, retry later
                log.warning("outbox_relay_failed", error=str(exc), retry_in=backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            now = time.monotonic()
            if now - last_gauge > 5:
                last_gauge = now
                with contextlib.suppress(Exception):  # the gauge is best effort
                    self.pending()
            if published < self.batch_size:
                self._wake.wait(self.idle_interval)
                self._wake.clear()

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name=f"outbox-relay-{self.service}", daemon=True)
        thread.start()
        return thread
