"""Use cases of the reports service: fold case snapshots into the read model, answer reports."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chassis.db import dialect_insert
from contracts.cases import CaseCreated, CaseRead, CaseUpdated, MessageAdded
from contracts.envelope import Envelope
from contracts.reports import OpenCasesReport
from reports.db.models import CaseSummary
from reports.domain.open_cases import CLOSED_STATUSES, build_report

SNAPSHOT_EVENTS = {"case_created": CaseCreated, "case_updated": CaseUpdated, "message_added": MessageAdded}


def record_case_snapshot(*, session: Session, envelope: Envelope) -> None:
    """Apply the case snapshot an event carries (case_created, case_updated, message_added)."""
    event = envelope.open(SNAPSHOT_EVENTS[envelope.event_type])
    apply_snapshot(session=session, case=event.case)


def apply_snapshot(*, session: Session, case: CaseRead) -> None:
    """Upsert the case, keeping whichever snapshot has the higher version (events may arrive out of order)."""
    values = {
        "case_id": case.id,
        "number": case.number,
        "status": case.status.value,
        "priority": case.priority.value,
        "group_id": case.group.id if case.group else None,
        "group_name": case.group.name if case.group else None,
        "assignee_id": case.assignee.id if case.assignee else None,
        "requester_id": case.requester.id if case.requester else None,
        "version": case.version,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }
    table = CaseSummary.__table__
    stmt = dialect_insert(session, table).values(**values)
    # one atomic statement: concurrent consumers of the same case cannot both insert or go backwards
    stmt = stmt.on_conflict_do_update(
        index_elements=["case_id"],
        set_={name: stmt.excluded[name] for name in values if name != "case_id"},
        where=table.c.version < stmt.excluded.version,
    )
    session.execute(stmt)


def open_cases_report(*, session: Session) -> OpenCasesReport:
    """Open cases by status category and by group."""
    is_open = CaseSummary.status.not_in(CLOSED_STATUSES)
    by_status = session.execute(
        select(CaseSummary.status, func.count()).where(is_open).group_by(CaseSummary.status)
    ).all()
    by_group = session.execute(
        select(CaseSummary.group_id, func.max(CaseSummary.group_name), func.count())
        .where(is_open)
        .group_by(CaseSummary.group_id)
    ).all()
    return build_report(
        by_status=[(status, count) for status, count in by_status],
        by_group=[(gid, name, count) for gid, name, count in by_group],
    )
