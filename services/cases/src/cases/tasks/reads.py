"""Reads of tasks and approvals: a case's tasks, a contact's approvals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.common import repo
from cases.tasks.tables import CaseTask
from contracts.case_work import TaskKind, TaskRead


def task_read(task: CaseTask) -> TaskRead:
    return TaskRead.model_validate(task, from_attributes=True)


def list_tasks(*, session: Session, case_id: int) -> list[TaskRead]:
    repo.require_case(session, case_id)
    rows = session.scalars(select(CaseTask).where(CaseTask.case_id == case_id).order_by(CaseTask.id))
    return [task_read(t) for t in rows]


def list_approvals_for_contact(*, session: Session, contact_id: int) -> list[TaskRead]:
    """The approval tasks waiting on (or decided by) this contact, newest first."""
    rows = session.scalars(
        select(CaseTask)
        .where(CaseTask.kind == TaskKind.APPROVAL.value, CaseTask.approver_contact_id == contact_id)
        .order_by(CaseTask.id.desc())
    )
    return [task_read(t) for t in rows]
