"""Tables of the reports service: read models built only from other services' events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chassis.db import new_base
from chassis.outbox import OutboxMessageMixin, ProcessedEventMixin

if TYPE_CHECKING:  # mypy cannot subclass a base built at run time; the shape is the same
    from sqlalchemy.orm import DeclarativeBase as Base
else:
    Base = new_base()
Base.metadata.info["service"] = "reports"


class OutboxMessage(OutboxMessageMixin, Base):
    __tablename__ = "outbox_message"


class ProcessedEvent(ProcessedEventMixin, Base):
    __tablename__ = "processed_event"


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
