"""Commands on templates, canned replies and recurring cases (B9, A6), and the recurrence timer's work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.case import writes as case_writes
from cases.common import repo
from cases.common.case_state import set_status
from cases.common.runtime import Runtime
from cases.templates import rules as schedule
from cases.templates.reads import get_template, recurrence_read, template_read
from cases.templates.tables import CannedReply, CaseOrigin, CaseTemplate, Recurrence, RecurrenceRun
from chassis.db import utcnow
from chassis.logging import get_logger
from contracts.case_work import (
    CannedReplyCreate,
    CannedReplyRead,
    CaseFromTemplate,
    RecurrenceCreate,
    RecurrenceRead,
    RecurrenceUnit,
    TemplateFields,
    TemplateFromCase,
    TemplateRead,
)
from contracts.cases import Actor, AuthorType, CaseCreate, CaseRead, Channel, Source, Status
from contracts.errors import DomainError, InvalidTransition, NotFound, ValidationFailed

log = get_logger(__name__)


SCHEDULER = Actor(type=AuthorType.SYSTEM, name="Recurring cases", channel=Channel.SYSTEM)


def _unique_name(exc: IntegrityError, name: str) -> ValidationFailed:
    return ValidationFailed(message=f"the name {name!r} is taken", details={"name": name})


def create_template(*, runtime: Runtime, data: TemplateFields) -> TemplateRead:
    """A new template; its name is unique."""
    try:
        with runtime.transaction() as session:
            _check_refs(session, data)
            row = CaseTemplate(**data.model_dump(mode="json"), created_at=utcnow())
            session.add(row)
            session.flush()
            return template_read(row)
    except IntegrityError as exc:
        raise _unique_name(exc, data.name) from None


def update_template(*, runtime: Runtime, template_id: int, data: TemplateFields) -> TemplateRead:
    """Replace a template's texts and defaults (cases made from it keep what they got)."""
    try:
        with runtime.transaction() as session:
            row = session.get(CaseTemplate, template_id, with_for_update=True)
            if row is None:
                raise NotFound(message=f"template {template_id} not found", details={"template_id": template_id})
            _check_refs(session, data)
            for name, value in data.model_dump(mode="json").items():
                setattr(row, name, value)
            session.flush()
            return template_read(row)
    except IntegrityError as exc:
        raise _unique_name(exc, data.name) from None


def _check_refs(session: Session, data: TemplateFields) -> None:
    if data.assignee_id is not None:
        repo.require_assignee(session, data.assignee_id)
    if data.group_id is not None:
        repo.require_group(session, data.group_id)


def template_from_case(*, runtime: Runtime, case_id: int, data: TemplateFromCase) -> TemplateRead:
    """Save a case's title, description, priority, group and assignee as a new template."""
    with runtime.transaction() as session:
        case = repo.get_case(session, case_id)
        fields = TemplateFields(
            name=data.name,
            title=case.title,
            description=case.description,
            solution=getattr(case, "solution", None) or "",
            type_id=getattr(case, "type_id", None),
            default_priority=case.priority,
            instructions=data.instructions,
            group_id=case.group_id,
            assignee_id=case.assignee_id,
        )
    return create_template(runtime=runtime, data=fields)


def case_from_template(*, runtime: Runtime, template_id: int, data: CaseFromTemplate, actor: Actor) -> CaseRead:
    """Open a case pre-filled from a template, in its default status."""
    with runtime.transaction() as session:
        template = get_template(session=session, template_id=template_id)
        requester = (
            repo.get_or_create_contact(session, email=str(data.requester_email), name=data.requester_name)
            if data.requester_email
            else None
        )
        return _open_from_template(
            session,
            runtime,
            template=template,
            title=data.title,
            requester_id=requester.id if requester else None,
            source=Source.AGENT if actor.type is AuthorType.AGENT else Source.API,
            actor=actor,
        )


def _open_from_template(
    session: Session,
    runtime: Runtime,
    *,
    template: CaseTemplate,
    title: str | None,
    requester_id: int | None,
    source: Source,
    actor: Actor,
    recurrence_id: int | None = None,
) -> CaseRead:
    values = {
        "title": title or template.title,
        "description": template.description,
        "priority": template.default_priority,
        "source": source,
        "assignee_id": template.assignee_id,
        "group_id": template.group_id,
    }
    # type and solution are fields of the case model: pass them only when the contract has them
    for name, value in (("type_id", template.type_id), ("solution", template.solution or None)):
        if name in CaseCreate.model_fields and value is not None:
            values[name] = value
    case = case_writes.open_case(
        session, runtime, data=CaseCreate.model_validate(values), requester_id=requester_id, actor=actor
    )
    repo.record_history(session, case=case, field="template", old=None, new=template.name, actor=actor)
    session.add(CaseOrigin(case_id=case.id, template_id=template.id, recurrence_id=recurrence_id))
    # a quick case ("closed" by default) made by an agent is that agent's, as a reply would make it
    target = Status(template.default_status)
    moved = set_status(session, runtime, case=case, target=target, actor=actor, take_ownership=True)
    return moved or repo.case_read(repo.refreshed(session, case))


# -- canned replies --------------------------------------------------------------------------


def create_canned_reply(*, runtime: Runtime, data: CannedReplyCreate) -> CannedReplyRead:
    try:
        with runtime.transaction() as session:
            row = CannedReply(title=data.title, body=data.body, created_at=utcnow())
            session.add(row)
            session.flush()
            return CannedReplyRead.model_validate(row, from_attributes=True)
    except IntegrityError:
        raise ValidationFailed(message=f"the title {data.title!r} is taken", details={"title": data.title}) from None


def delete_canned_reply(*, runtime: Runtime, reply_id: int) -> None:
    with runtime.transaction() as session:
        if session.execute(delete(CannedReply).where(CannedReply.id == reply_id)).rowcount == 0:
            raise NotFound(message=f"canned reply {reply_id} not found", details={"reply_id": reply_id})


def create_recurrence(*, runtime: Runtime, data: RecurrenceCreate) -> RecurrenceRead:
    """Put a template on a schedule; the first slot is `start_at`."""
    with runtime.transaction() as session:
        template = get_template(session=session, template_id=data.template_id)
        if template.default_status != Status.NEW.value and template.assignee_id is None:
            # nobody would own the scheduled case, and a case needs an owner to leave New
            raise InvalidTransition(
                message="a recurring template with a default status other than New needs an assignee",
                details={"missing": "assignee_id", "template_id": template.id},
            )
        row = Recurrence(
            template_id=data.template_id,
            every=data.every,
            unit=data.unit.value,
            start_at=data.start_at,
            next_at=data.start_at,
            active=True,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return recurrence_read(row)


def set_recurrence_active(*, runtime: Runtime, recurrence_id: int, active: bool) -> RecurrenceRead:
    """Pause or resume a schedule; resuming never makes up the slots missed while paused."""
    with runtime.transaction() as session:
        row = session.get(Recurrence, recurrence_id, with_for_update=True)
        if row is None:
            raise NotFound(message=f"recurrence {recurrence_id} not found", details={"recurrence_id": recurrence_id})
        if active and not row.active:
            now = utcnow()
            if row.next_at <= now:
                unit = RecurrenceUnit(row.unit)
                row.next_at = schedule.next_after(start_at=row.start_at, every=row.every, unit=unit, after=now)
        row.active = active
        session.flush()
        return recurrence_read(row)


def run_due_recurrences(*, runtime: Runtime, now: datetime | None = None, batch: int = 20) -> list[int]:
    """Create the case of every due slot, one transaction per slot; returns the new case ids.

    Several workers may run this at once: rows are claimed with SKIP LOCKED, and the unique
    (recurrence, slot) row written with the case makes a slot produce one case, even after a restart.
    """
    created: list[int] = []
    for _ in range(batch):
        case_id = _run_one(runtime=runtime, now=now or utcnow())
        if case_id is None:
            break
        if case_id > 0:
            created.append(case_id)
    return created


def _run_one(*, runtime: Runtime, now: datetime) -> int | None:
    """Run one due slot; None when nothing is due, 0 when the slot was already taken."""
    claimed: dict[str, Any] = {}
    try:
        with runtime.transaction() as session:
            row = session.scalar(
                select(Recurrence)
                .where(Recurrence.active, Recurrence.next_at <= now)
                .order_by(Recurrence.next_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if row is None:
                return None
            slot_at = row.next_at
            unit = RecurrenceUnit(row.unit)
            row.next_at = schedule.next_after(
                start_at=row.start_at, every=row.every, unit=unit, after=max(slot_at, now)
            )
            claimed.update(id=row.id, next_at=row.next_at, slot_at=slot_at)
            template = get_template(session=session, template_id=row.template_id)
            run = RecurrenceRun(recurrence_id=row.id, slot_at=slot_at, created_at=now)
            session.add(run)
            session.flush()  # a slot already run raises here, before any case exists
            case = _open_from_template(
                session,
                runtime,
                template=template,
                title=None,
                requester_id=None,
                source=_scheduled(),
                actor=SCHEDULER,
                recurrence_id=row.id,
            )
            run.case_id = case.id
            log.info("recurring_case_created", recurrence_id=row.id, slot_at=slot_at.isoformat(), case_id=case.id)
            return case.id
    except DomainError as exc:
        # the template no longer fits the rules (its assignee left, ...): skip this slot, do not retry forever
        log.error("recurring_case_refused", recurrence_id=claimed.get("id"), code=exc.code, error=exc.message)
        _skip_slot(runtime, claimed)
        return 0
    except IntegrityError:
        # the slot made its case already (a restored backup, a hand-edited next_at): move past it
        log.info("recurrence_slot_already_run", recurrence_id=claimed.get("id"))
        _skip_slot(runtime, claimed)
        return 0


def _skip_slot(runtime: Runtime, claimed: dict[str, Any]) -> None:
    """Move a recurrence past a slot that could not make its case (the failed transaction rolled that back)."""
    if not claimed:
        return
    with runtime.transaction() as session:
        row = session.get(Recurrence, claimed["id"], with_for_update=True)
        if row is not None and row.next_at == claimed["slot_at"]:
            row.next_at = claimed["next_at"]


def _scheduled() -> Source:
    return Source("scheduled") if "scheduled" in {s.value for s in Source} else Source.AGENT
