"""The declarative base of the cases tables, and the outbox and processed-event tables every service has."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from chassis.db import TYPE_ANNOTATION_MAP, service_metadata
from chassis.outbox import outbox_tables


class Base(DeclarativeBase):
    metadata = service_metadata("cases")
    type_annotation_map = TYPE_ANNOTATION_MAP


OutboxMessage, ProcessedEvent = outbox_tables(Base)
