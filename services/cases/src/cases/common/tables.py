"""The declarative base of the cases tables, and the outbox and processed-event tables every service has."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chassis.db import new_base
from chassis.outbox import OutboxMessageMixin, ProcessedEventMixin

if TYPE_CHECKING:  # mypy cannot subclass a base built at run time; the shape is the same
    from sqlalchemy.orm import DeclarativeBase as Base
else:
    Base = new_base()


Base.metadata.info["service"] = "cases"


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox_message"


class ProcessedEvent(ProcessedEventMixin, Base):
    __tablename__ = "processed_event"
