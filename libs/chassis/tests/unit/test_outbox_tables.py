"""outbox_tables(): each service's own outbox and processed-event tables, on its own metadata."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from chassis.db import TYPE_ANNOTATION_MAP, service_metadata
from chassis.outbox import OutboxMessageMixin, ProcessedEventMixin, outbox_tables


class FirstBase(DeclarativeBase):
    metadata = service_metadata("first")
    type_annotation_map = TYPE_ANNOTATION_MAP


class SecondBase(DeclarativeBase):
    metadata = service_metadata("second")
    type_annotation_map = TYPE_ANNOTATION_MAP


def test_each_base_gets_both_tables_with_the_mixins_columns() -> None:
    first_outbox, first_processed = outbox_tables(FirstBase)
    second_outbox, _ = outbox_tables(SecondBase)
    assert issubclass(first_outbox, OutboxMessageMixin) and issubclass(first_processed, ProcessedEventMixin)
    assert set(FirstBase.metadata.tables) == {"outbox_message", "processed_event"}
    assert FirstBase.metadata.info == {"service": "first"}
    assert first_outbox.__table__ is not second_outbox.__table__  # type: ignore[attr-defined]
    outbox = FirstBase.metadata.tables["outbox_message"]
    assert {c.name for c in outbox.columns} == {
        "id", "event_id", "event_type", "envelope", "created_at", "published_at", "attempts", "last_error",
    }  # fmt: skip
    assert {i.name for i in outbox.indexes} == {"ix_outbox_message_pending"}
    processed = FirstBase.metadata.tables["processed_event"]
    assert [c.name for c in processed.primary_key.columns] == ["consumer", "event_id"]
    assert first_outbox.__name__ == "OutboxMessage" and first_outbox.__module__ == __name__
