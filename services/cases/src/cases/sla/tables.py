"""Tables of the SLA (B13): calendars, policies, per-case targets and the events already sent.

Registered with the others in `cases.tables`; the schema is migration `0005_sla`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cases.common.tables import Base
from chassis.db import JSONType, utcnow


class BusinessCalendar(Base):
    """Opening hours (wall-clock, per weekday) in a zone, minus holidays of `country`/`subdivision` and extra dates."""

    __tablename__ = "business_calendar"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    hours: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    country: Mapped[str | None] = mapped_column(String(3))
    subdivision: Mapped[str | None] = mapped_column(String(10))
    closed_dates: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # ISO dates
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaPolicy(Base):
    """Targets for the cases matching its criteria (empty = any); the most specific active policy applies."""

    __tablename__ = "sla_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    priority: Mapped[str | None] = mapped_column(String(20))
    type_id: Mapped[int | None] = mapped_column(ForeignKey("case_type.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"))
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("business_calendar.id"), index=True)
    warning_percent: Mapped[int] = mapped_column(Integer, default=80)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    calendar: Mapped[BusinessCalendar | None] = relationship(lazy="joined")


class CaseSlaTarget(Base):
    """One target (first response, resolution) of one case as last computed, in the transaction of the change.

    `warn_pending_at`/`breach_pending_at` are set while an event is still to be sent for the current due time:
    the timer scans those two indexes only.
    """

    __tablename__ = "case_sla_target"
    __table_args__ = (
        UniqueConstraint("case_id", "metric"),
        Index("ix_case_sla_target_warn_pending_at", "warn_pending_at"),
        Index("ix_case_sla_target_breach_pending_at", "breach_pending_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(20))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policy.id", ondelete="SET NULL"), index=True)
    target_minutes: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))  # running | paused | met | stopped
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    warn_pending_at: Mapped[datetime | None]
    breach_pending_at: Mapped[datetime | None]
    warned_due_at: Mapped[datetime | None]  # the due time a warning was sent for
    breached_due_at: Mapped[datetime | None]  # the due time a breach was sent for
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaEventSent(Base):
    """One row per warning/breach sent: the unique key makes each fire once per case, metric and due time."""

    __tablename__ = "sla_event_sent"
    __table_args__ = (UniqueConstraint("case_id", "metric", "kind", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # warning | breached
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaRecomputeJob(Base):
    """An SLA recomputation too big for the request that caused it (decision 0144, migration 0007).

    `criteria` lists the policy criteria whose cases (not closed) are recomputed; the cases worker's timer
    works through them in batches by case id, `after_case_id` being how far it got.
    """

    __tablename__ = "sla_recompute_job"
    __table_args__ = (Index("ix_sla_recompute_job_finished_at", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    after_case_id: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
