"""Commands on tasks and approvals (B5): add, change, decide; one transaction each."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cases.common import repo
from cases.common.case_state import require_contact
from cases.common.runtime import Runtime
from cases.tasks import rules
from cases.tasks.reads import task_read
from cases.tasks.tables import CaseTask
from chassis.db import utcnow
from contracts.case_work import ApprovalDecision, TaskChanged, TaskCreate, TaskKind, TaskRead, TaskUpdate
from contracts.cases import Actor, AuthorType, Channel
from contracts.errors import NotFound

_CLEARABLE = frozenset({"assignee_id", "group_id", "due_at"})


def _check_refs(session: Session, *, assignee_id: int | None, group_id: int | None) -> None:
    if assignee_id is not None:
        repo.require_assignee(session, assignee_id)
    if group_id is not None:
        repo.require_group(session, group_id)


def add_task(*, runtime: Runtime, case_id: int, data: TaskCreate, actor: Actor) -> TaskRead:
    """A task (or an approval a contact decides) on a case."""
    rules.check_new_task(kind=data.kind, approver_contact_id=data.approver_contact_id)
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        _check_refs(session, assignee_id=data.assignee_id, group_id=data.group_id)
        if data.approver_contact_id is not None:
            require_contact(session, data.approver_contact_id)
        values = {**data.model_dump(), "due_at": rules.due_in_utc(data.due_at)}
        task = CaseTask(case_id=case.id, **values, done=False, created_at=utcnow())
        task.kind = data.kind.value
        session.add(task)
        session.flush()
        repo.record_history(
            session, case=case, field="task_added", old=None, new=f"#{task.id} {task.title}", actor=actor
        )
        read = task_read(task)
        runtime.emit(session, TaskChanged(task=read, change="created", actor=actor))
        return read


def update_task(*, runtime: Runtime, case_id: int, task_id: int, changes: TaskUpdate, actor: Actor) -> TaskRead:
    """Change a task's title, assignee, group, due date or done flag."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        task = _task(session, case_id=case.id, task_id=task_id)
        requested = {
            k: v for k, v in changes.model_dump(exclude_unset=True).items() if v is not None or k in _CLEARABLE
        }
        _check_refs(session, assignee_id=requested.get("assignee_id"), group_id=requested.get("group_id"))
        if requested.get("due_at") is not None:
            requested["due_at"] = rules.due_in_utc(requested["due_at"])
        if "done" in requested:
            decision = ApprovalDecision(task.decision) if task.decision else None
            rules.check_done_change(kind=TaskKind(task.kind), done=requested["done"], decision=decision)
        delta: dict[str, dict[str, Any]] = {}
        for name, value in requested.items():
            old = getattr(task, name)
            if old != value:
                delta[name] = {"old": _text(old), "new": _text(value)}
                setattr(task, name, value)
        if not delta:
            return task_read(task)
        if "done" in delta:
            task.done_at = utcnow() if task.done else None
        for name, change in delta.items():
            repo.record_history(
                session,
                case=case,
                field=f"task.{name}",
                old=change["old"],
                new=f"#{task.id}: {change['new']}",
                actor=actor,
            )
        session.flush()
        read = task_read(task)
        runtime.emit(session, TaskChanged(task=read, change="updated", changes=delta, actor=actor))
        return read


def decide_approval(*, runtime: Runtime, task_id: int, contact_id: int, decision: ApprovalDecision) -> TaskRead:
    """The approver contact approves or rejects (the portal calls this, scoped to the signed-in contact)."""
    with runtime.transaction() as session:
        task = session.get(CaseTask, task_id, with_for_update=True)
        if task is None:
            raise NotFound(message="approval not found", details={"task_id": task_id})
        rules.check_decision(
            kind=TaskKind(task.kind),
            approver_contact_id=task.approver_contact_id,
            contact_id=contact_id,
            decision=ApprovalDecision(task.decision) if task.decision else None,
        )
        case = repo.lock_case(session, task.case_id)
        contact = case.requester if case.requester_id == contact_id else None
        actor = Actor(
            type=AuthorType.CONTACT,
            id=contact_id,
            name=contact.name if contact else "",
            email=contact.primary_email if contact else None,
            channel=Channel.PORTAL,
        )
        now = utcnow()
        task.decision, task.decided_by_contact_id, task.decided_at = decision.value, contact_id, now
        task.done, task.done_at = True, now
        repo.record_history(
            session, case=case, field="approval", old=None, new=f"#{task.id} {decision.value}", actor=actor
        )
        session.flush()
        read = task_read(task)
        changes = {"decision": {"old": None, "new": decision.value}}
        runtime.emit(session, TaskChanged(task=read, change="decided", changes=changes, actor=actor))
        return read


def _task(session: Session, *, case_id: int, task_id: int) -> CaseTask:
    task = session.get(CaseTask, task_id)
    if task is None or task.case_id != case_id:
        raise NotFound(message=f"task {task_id} not found on case {case_id}", details={"task_id": task_id})
    return task


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
