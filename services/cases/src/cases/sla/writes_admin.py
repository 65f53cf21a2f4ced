"""Administration of SLA policies and business calendars (B13): create, change, delete, list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.common.runtime import Runtime
from cases.config.tables import CaseType
from cases.directory.tables import Group
from cases.sla import writes as service
from cases.sla import writes_jobs as jobs
from cases.sla.rules_calendar import BusinessCalendar, CalendarError
from cases.sla.tables import BusinessCalendar as CalendarRow
from cases.sla.tables import CaseSlaTarget, SlaPolicy
from chassis.db import utcnow
from contracts import errors
from contracts.cases import Status
from contracts.sla import BusinessCalendarRead, BusinessCalendarWrite, SlaPolicyRead, SlaPolicyWrite

_DONE = (Status.CLOSED.value,)


def _unique(session: Session, what: str, value: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise errors.ValidationFailed(message=f"{what} {value!r} already exists", details={"name": value}) from None


def _get(session: Session, model: type[Any], ident: int, what: str) -> Any:
    row = session.get(model, ident)
    if row is None:
        raise errors.NotFound(message=f"{what} {ident} not found", details={f"{what}_id": ident})
    return row


# -- calendars ---------------------------------------------------------------------------------


def calendar_read(row: CalendarRow) -> BusinessCalendarRead:
    return BusinessCalendarRead(
        id=row.id,
        name=row.name,
        timezone=row.timezone,
        hours={day: [(a, b) for a, b in spans] for day, spans in row.hours.items()},
        country=row.country,
        subdivision=row.subdivision,
        closed_dates=row.closed_dates,
        created_at=row.created_at,
    )


def _check_calendar(data: BusinessCalendarWrite) -> None:
    try:
        BusinessCalendar.build(
            timezone=data.timezone,
            hours=data.hours,
            country=data.country,
            subdivision=data.subdivision,
            closed_dates=data.closed_dates,
        )
    except CalendarError as exc:
        raise errors.ValidationFailed(message=f"calendar is invalid: {exc}", details={"calendar": str(exc)}) from None


def save_calendar(
    *, runtime: Runtime, data: BusinessCalendarWrite, calendar_id: int | None = None
) -> BusinessCalendarRead:
    _check_calendar(data)
    with runtime.transaction() as session:
        row = _get(session, CalendarRow, calendar_id, "calendar") if calendar_id else CalendarRow(created_at=utcnow())
        row.name = data.name.strip()
        row.timezone = data.timezone
        row.hours = {day: [list(span) for span in spans] for day, spans in data.hours.items()}
        row.country = data.country
        row.subdivision = data.subdivision
        row.closed_dates = sorted({d.isoformat() for d in data.closed_dates})
        row.updated_at = utcnow()
        session.add(row)
        _unique(session, "calendar", row.name)
        if calendar_id:
            service.forget_policies(session)
            policies = list(session.scalars(select(SlaPolicy).where(SlaPolicy.calendar_id == calendar_id)))
            jobs.reapply(session, [service.criteria_of(p) for p in policies], reason=f"calendar {calendar_id} changed")
        return calendar_read(row)


def list_calendars(*, session: Session) -> list[BusinessCalendarRead]:
    return [calendar_read(r) for r in session.scalars(select(CalendarRow).order_by(CalendarRow.id))]


def delete_calendar(*, runtime: Runtime, calendar_id: int) -> None:
    with runtime.transaction() as session:
        row = _get(session, CalendarRow, calendar_id, "calendar")
        used = list(session.scalars(select(SlaPolicy.name).where(SlaPolicy.calendar_id == calendar_id)))
        if used:
            raise errors.ValidationFailed(
                message="policies use this calendar", details={"calendar_id": calendar_id, "policies": used}
            )
        session.delete(row)


# -- policies ----------------------------------------------------------------------------------


def policy_read(row: SlaPolicy) -> SlaPolicyRead:
    return SlaPolicyRead.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "priority": row.priority,
            "type_id": row.type_id,
            "group_id": row.group_id,
            "first_response_minutes": row.first_response_minutes,
            "resolution_minutes": row.resolution_minutes,
            "calendar_id": row.calendar_id,
            "warning_percent": row.warning_percent,
            "active": row.active,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def _check_refs(session: Session, data: SlaPolicyWrite) -> None:
    for value, model, field in (
        (data.type_id, CaseType, "type_id"),
        (data.group_id, Group, "group_id"),
        (data.calendar_id, CalendarRow, "calendar_id"),
    ):
        if value is not None and session.get(model, value) is None:
            raise errors.ValidationFailed(message=f"{field} {value} does not exist", details={field: value})


def save_policy(*, runtime: Runtime, data: SlaPolicyWrite, policy_id: int | None = None) -> SlaPolicyRead:
    with runtime.transaction() as session:
        _check_refs(session, data)
        now = utcnow()
        row = _get(session, SlaPolicy, policy_id, "policy") if policy_id else SlaPolicy(created_at=now)
        before = service.criteria_of(row) if policy_id else None
        row.name = data.name.strip()
        row.priority = data.priority.value if data.priority else None
        row.type_id, row.group_id, row.calendar_id = data.type_id, data.group_id, data.calendar_id
        row.first_response_minutes, row.resolution_minutes = data.first_response_minutes, data.resolution_minutes
        row.warning_percent, row.active, row.updated_at = data.warning_percent, data.active, now
        session.add(row)
        _unique(session, "policy", row.name)
        service.forget_policies(session)
        session.refresh(row)  # its calendar relationship
        jobs.reapply(session, [c for c in (before, service.criteria_of(row)) if c], reason=f"policy {row.id} saved")
        return policy_read(row)


def list_policies(*, session: Session) -> list[SlaPolicyRead]:
    return [policy_read(r) for r in session.scalars(select(SlaPolicy).order_by(SlaPolicy.id))]


def delete_policy(*, runtime: Runtime, policy_id: int) -> None:
    with runtime.transaction() as session:
        row = _get(session, SlaPolicy, policy_id, "policy")
        criteria = service.criteria_of(row)
        cases = cases_under(session, [policy_id])
        session.delete(row)
        session.flush()
        service.forget_policies(session)
        jobs.reapply(session, [criteria], reason=f"policy {policy_id} deleted", extra_case_ids=cases)


# -- which cases a change touches ----------------------------------------------------------------


def cases_under(session: Session, policy_ids: list[int]) -> list[int]:
    if not policy_ids:
        return []
    return list(
        session.scalars(
            select(CaseSlaTarget.case_id)
            .join(Case, Case.id == CaseSlaTarget.case_id)
            .where(CaseSlaTarget.policy_id.in_(policy_ids), Case.status.not_in(_DONE))
            .distinct()
        )
    )
