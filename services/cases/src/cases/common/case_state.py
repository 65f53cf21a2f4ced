"""Helpers every command on a case shares: versions, status changes with their stamps, rows it needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cases.case import rules as workflow
from cases.case.tables import Case, Message
from cases.common import repo
from cases.directory.tables import Contact
from chassis.db import utcnow
from contracts.cases import Actor, AuthorType, CaseRead, CaseUpdated, Status
from contracts.errors import ValidationFailed


def stamp_status(case: Case, status: Status, now: datetime) -> None:
    stamps = workflow.timestamps_after(
        target=status, previous=workflow.Timestamps(case.resolved_at, case.closed_at), now=now
    )
    case.resolved_at, case.closed_at = stamps.resolved_at, stamps.closed_at


def touch(case: Case, now: datetime | None = None) -> None:
    """Every write to a case or its conversation is a new version (decision 0011)."""
    case.version += 1
    case.updated_at = now or utcnow()


def set_status(
    session: Session,
    runtime: Any,
    *,
    case: Case,
    target: Status,
    actor: Actor,
    owner_rule: bool = True,
    take_ownership: bool = False,
) -> CaseRead | None:
    """Move `case` to `target` under the workflow rules, with history and `case_updated`; None if already there.

    `owner_rule=False`: closing a merged duplicate or a master's child does not need an owner (decision 0066).
    `take_ownership`: an unowned case leaving New is assigned to the acting agent first (as a reply does).
    """
    if case.status == target.value:
        return None
    changes: dict[str, dict[str, Any]] = {}
    if take_ownership and case.assignee_id is None and actor.type is AuthorType.AGENT and actor.id is not None:
        repo.require_agent(session, actor.id)
        changes["assignee_id"] = {"old": None, "new": actor.id}
        case.assignee_id = actor.id
        repo.record_history(session, case=case, field="assignee_id", old=None, new=actor.id, actor=actor)
    has_owner = case.assignee_id is not None or not owner_rule
    workflow.check_transition(current=Status(case.status), target=target, has_assignee=has_owner, actor_type=actor.type)
    now = utcnow()
    old = case.status
    case.status = target.value
    stamps = workflow.timestamps_after(
        target=target, previous=workflow.Timestamps(case.resolved_at, case.closed_at), now=now
    )
    case.resolved_at, case.closed_at = stamps.resolved_at, stamps.closed_at
    repo.record_history(session, case=case, field="status", old=old, new=target.value, actor=actor)
    touch(case, now)
    read = repo.case_read(repo.refreshed(session, case))
    changes["status"] = {"old": old, "new": target.value}
    runtime.emit(session, CaseUpdated(case=read, changes=changes, actor=actor))
    return read


def require_contact(session: Session, contact_id: int) -> None:
    if session.get(Contact, contact_id) is None:
        raise ValidationFailed(message=f"no contact {contact_id}", details={"contact_id": contact_id})


def message_on_case(session: Session, *, case_id: int, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None or message.case_id != case_id:
        raise ValidationFailed(message=f"no message {message_id} on case {case_id}", details={"message_id": message_id})
    return message
