"""Tables of the reports service: read models built only from other services' events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import TYPE_ANNOTATION_MAP, service_metadata
from chassis.outbox import outbox_tables


class Base(DeclarativeBase):
    """Every table of this service: its own metadata, as each service has its own database."""

    metadata = service_metadata("reports")
    type_annotation_map = TYPE_ANNOTATION_MAP


OutboxMessage, ProcessedEvent = outbox_tables(Base)


class CaseSummary(Base):
    """The newest snapshot of each case we have seen (by the case's version, not by arrival order)."""

    __tablename__ = "case_summary"
    __table_args__ = (Index("ix_case_summary_status", "status"),)

    case_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str] = mapped_column(String(20))
    group_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    group_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    requester_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
