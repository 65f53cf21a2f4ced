"""The table of tasks and approvals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cases.common.tables import Base
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
