"""Tables of templates, canned replies, recurring cases and signatures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cases.common.tables import Base
from chassis.db import utcnow


class CaseTemplate(Base):
    """A case template (B9); also what a recurrence creates cases from (A6)."""

    __tablename__ = "case_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    type_id: Mapped[int | None] = mapped_column(Integer)  # a case type (config)
    description: Mapped[str] = mapped_column(Text, default="")
    solution: Mapped[str] = mapped_column(Text, default="")
    default_status: Mapped[str] = mapped_column(String(20), default="new")
    default_priority: Mapped[str] = mapped_column(String(20), default="medium")
    instructions: Mapped[str] = mapped_column(Text, default="")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseOrigin(Base):
    """The template (and schedule) a case was made from, so its page can show the template's instructions."""

    __tablename__ = "case_origin"

    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("case_template.id", ondelete="SET NULL"))
    recurrence_id: Mapped[int | None] = mapped_column(ForeignKey("recurrence.id", ondelete="SET NULL"))


class CannedReply(Base):
    __tablename__ = "canned_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Recurrence(Base):
    """A template on a schedule: every `every` `unit`s from `start_at`; `next_at` is the next due slot."""

    __tablename__ = "recurrence"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("case_template.id", ondelete="CASCADE"), index=True)
    every: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(10))
    start_at: Mapped[datetime]
    next_at: Mapped[datetime] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecurrenceRun(Base):
    """One row per due slot that made a case: the unique key makes a slot run once, whoever runs it."""

    __tablename__ = "recurrence_run"
    __table_args__ = (UniqueConstraint("recurrence_id", "slot_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recurrence_id: Mapped[int] = mapped_column(ForeignKey("recurrence.id", ondelete="CASCADE"))
    slot_at: Mapped[datetime]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Signature(Base):
    """Greeting and signature of one level; `scope_key` is unique per (agent, mailbox) incl. the nulls."""

    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(400), unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    mailbox: Mapped[str | None] = mapped_column(String(320))
    greeting: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
