"""Rules of tasks and approvals (B5): pure, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.case_work import ApprovalDecision, TaskKind
from contracts.errors import ALREADY_DECIDED, DomainError, InvalidTransition, NotFound, ValidationFailed


def due_in_utc(value: datetime | None) -> datetime | None:
    """A due date without a zone (a browser's `datetime-local`, a bare ISO time) is taken as UTC, as a case's
    own dates are; stored as it came it would be refused by the column and answered as a server error."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_new_task(*, kind: TaskKind, approver_contact_id: int | None) -> None:
    """An approval task names the contact who decides it; a plain task names none."""
    if kind is TaskKind.APPROVAL and approver_contact_id is None:
        raise ValidationFailed(
            message="an approval task needs an approver contact", details={"missing": "approver_contact_id"}
        )
    if kind is TaskKind.TASK and approver_contact_id is not None:
        raise ValidationFailed(message="only approval tasks have an approver", details={"field": "approver_contact_id"})


def check_decision(
    *, kind: TaskKind, approver_contact_id: int | None, contact_id: int, decision: ApprovalDecision | None
) -> None:
    """A contact decides only their own, undecided approval task; others see it as not there."""
    if kind is not TaskKind.APPROVAL or approver_contact_id != contact_id:
        # scoped to the contact: a task that is not theirs does not exist for them
        raise NotFound(message="approval not found", details={"contact_id": contact_id})
    if decision is not None:
        raise DomainError(ALREADY_DECIDED, f"this approval was already {decision.value}", {"decision": decision.value})


def check_done_change(*, kind: TaskKind, done: bool, decision: ApprovalDecision | None) -> None:
    """An approval is done by its decision, never ticked off by an agent."""
    if kind is TaskKind.APPROVAL and done and decision is None:
        raise InvalidTransition(message="an approval task is done when its contact decides", details={"field": "done"})
