"""Tables of the work on a case (issue 3 part B): tasks, attachments, time, templates, signatures, links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from cases.db.models import Base, Message
from chassis.db import utcnow


class CaseTask(Base):
    """A task on a case (B5); `kind='approval'` tasks are decided by a contact."""

    __tablename__ = "case_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20), default="task")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id"))
    due_at: Mapped[datetime | None]
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None]
    approver_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"), index=True)
    decision: Mapped[str | None] = mapped_column(String(20))
    decided_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseAttachment(Base):
    """A file on a case or one of its messages; the bytes live in the blob store under `sha256`."""

    __tablename__ = "case_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimeEntry(Base):
    """Time worked on a case (B7): a manual entry, or a timer while `running`."""

    __tablename__ = "time_entry"
    __table_args__ = (Index("ix_time_entry_agent_running", "agent_id", "running"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id"))
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    running: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseTemplate(Base):
    """A case template (B9); also what a recurrence creates cases from (A6)."""

    __tablename__ = "case_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    type_id: Mapped[int | None] = mapped_column(Integer)  # case type of issue 3 part A
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


class CaseLink(Base):
    """`case_id` is related to / merged into `other_case_id` (master/child uses case.parent_id)."""

    __tablename__ = "case_link"
    __table_args__ = (UniqueConstraint("case_id", "other_case_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    other_case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Message, "before_insert")
def _message_kind(_mapper: object, _connection: object, message: Message) -> None:
    """A message saved without a kind gets it from its author and visibility (notes and system entries, B4).

    A hook rather than edits in every handler that creates messages: those belong to other issues.
    """
    if message.kind is None:
        if message.author_type == "system":
            message.kind = "system"
        else:
            message.kind = "note" if message.visibility == "internal" else "reply"
