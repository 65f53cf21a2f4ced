"""What the chassis integration tests share: a service's outbox tables and a `thing` table on a fresh PostgreSQL
database, the event that tells of a thing, and a fresh RabbitMQ vhost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from chassis.db import make_engine, make_sessionmaker, new_base
from chassis.outbox import OutboxMessageMixin, ProcessedEventMixin
from chassis.testing import amqp_vhost, pg_database
from contracts.envelope import EventPayload

Base = new_base()


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox_message"


class ProcessedEvent(ProcessedEventMixin, Base):
    __tablename__ = "processed_event"


class Thing(Base):
    """What a test's handler writes; `worker` says which stand-in worker instance wrote it, where a test asks."""

    __tablename__ = "thing"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    worker: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ThingMade(EventPayload):
    EVENT_TYPE = "thing_made"
    name: str


@pytest.fixture
def db() -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh database holding `Base`'s tables."""
    with pg_database("chassis") as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        yield make_sessionmaker(engine)
        engine.dispose()


@pytest.fixture
def amqp() -> Iterator[str]:
    with amqp_vhost() as uri:
        yield uri
