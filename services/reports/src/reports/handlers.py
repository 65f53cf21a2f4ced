"""Use cases of the reports service: fold case snapshots into the read model, answer reports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from chassis.db import dialect_insert
from contracts.bulk import CASE_FACTS_MAX, CaseFacts, CasesImported
from contracts.cases import CaseCreated, CaseRead, CaseUpdated, MessageAdded
from contracts.cases_client import SyncCasesClient
from contracts.envelope import Envelope
from contracts.reports import OpenCasesReport
from reports.db.models import CaseSummary
from reports.domain.open_cases import CLOSED_STATUSES, build_report

SNAPSHOT_EVENTS = {"case_created": CaseCreated, "case_updated": CaseUpdated, "message_added": MessageAdded}


# a group's snapshots (chassis `idempotent_group`), newest per case, upserted once before its commit (0158)
GROUP_SNAPSHOTS = "reports:group_snapshots"


def record_case_snapshot(*, session: Session, envelope: Envelope) -> None:
    """Apply the case snapshot an event carries (case_created, case_updated, message_added)."""
    event = envelope.open(SNAPSHOT_EVENTS[envelope.event_type])
    row = _snapshot_row(event.case)
    held: dict[int, dict[str, Any]] | None = session.info.get(GROUP_SNAPSHOTS)
    if held is None:  # one by one (the fallback path, or no group)
        _upsert(session, [row])
        return
    # one statement cannot update a row twice: within the group only the case's highest version is kept
    earlier = held.get(row["case_id"])
    if earlier is None or earlier["version"] < row["version"]:
        held[row["case_id"]] = row


def begin_snapshot_group(*, session: Session) -> None:
    """From now on `record_case_snapshot` holds its rows for `write_snapshot_group` (decision 0158)."""
    session.info[GROUP_SNAPSHOTS] = {}


def write_snapshot_group(*, session: Session) -> None:
    """The held snapshots of the group in one version-guarded upsert, inside the group's transaction."""
    held: dict[int, dict[str, Any]] = session.info.pop(GROUP_SNAPSHOTS, {})
    _upsert(session, [held[case_id] for case_id in sorted(held)])


def apply_snapshot(*, session: Session, case: CaseRead) -> None:
    """Upsert the case, keeping whichever snapshot has the higher version (events may arrive out of order)."""
    _upsert(session, [_snapshot_row(case)])


def _snapshot_row(case: CaseRead) -> dict[str, Any]:
    return {
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


def record_imported_cases(*, session: Session, envelope: Envelope, cases: SyncCasesClient) -> int:
    """Fold a `cases_imported` batch into the read model: its facts come from the cases service.

    The event carries ids only (decision 0081); the facts are asked for in pages, within the handler's
    transaction, so a time-out rolls everything back and the event is retried. Returns how many were found.
    """
    event = envelope.open(CasesImported)
    return apply_facts(session=session, facts=imported_facts(cases, sorted(set(event.case_ids))))


def imported_facts(cases: SyncCasesClient, case_ids: list[int]) -> Iterator[CaseFacts]:
    """The facts of every existing case of `case_ids`, asked in pages of `CASE_FACTS_MAX`."""
    for start in range(0, len(case_ids), CASE_FACTS_MAX):
        yield from cases.case_facts(case_ids=case_ids[start : start + CASE_FACTS_MAX]).items


def apply_facts(*, session: Session, facts: Iterable[CaseFacts]) -> int:
    """Upsert the facts, by version like any snapshot (a newer `case_updated` already applied wins)."""
    rows = [
        {
            "case_id": f.id,
            "number": f.number,
            "status": f.status,
            "priority": f.priority,
            "group_id": f.group_id,
            "group_name": f.group_name,
            "assignee_id": f.assignee_id,
            "requester_id": f.requester_id,
            "version": f.version,
            "created_at": f.created_at,
            "updated_at": f.updated_at,
        }
        for f in facts
    ]
    for start in range(0, len(rows), 500):
        _upsert(session, rows[start : start + 500])
    return len(rows)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or update case summaries, never going back to an older version."""
    if not rows:
        return
    table = CaseSummary.__table__
    stmt = dialect_insert(session, table)
    # one atomic statement per row set: concurrent consumers of the same case cannot both insert or go
    # backwards; the rows go as executemany, so the statement is compiled once (SQLAlchemy's cache) and
    # sent in pages by the driver (insertmanyvalues)
    stmt = stmt.on_conflict_do_update(
        index_elements=["case_id"],
        set_={name: stmt.excluded[name] for name in rows[0] if name != "case_id"},
        where=table.c.version < stmt.excluded.version,
    )
    session.execute(stmt, rows)


def open_cases_report(
    *, session: Session, hidden_group_ids: Iterable[int] = (), agent_id: int | None = None
) -> OpenCasesReport:
    """Open cases by status category and by group, of the cases the caller may see: none of
    `hidden_group_ids` (restricted groups they are not in) but those assigned to `agent_id`."""
    where = [CaseSummary.status.not_in(CLOSED_STATUSES)]
    hidden = sorted(set(hidden_group_ids))
    if hidden:
        mine = CaseSummary.assignee_id == agent_id if agent_id is not None else false()
        where.append(or_(CaseSummary.group_id.is_(None), CaseSummary.group_id.not_in(hidden), mine))
    by_status = session.execute(
        select(CaseSummary.status, func.count()).where(*where).group_by(CaseSummary.status)
    ).all()
    by_group = session.execute(
        select(CaseSummary.group_id, func.max(CaseSummary.group_name), func.count())
        .where(*where)
        .group_by(CaseSummary.group_id)
    ).all()
    by_assignee = session.execute(
        select(CaseSummary.assignee_id, func.count()).where(*where).group_by(CaseSummary.assignee_id)
    ).all()
    return build_report(
        by_status=[(status, count) for status, count in by_status],
        by_group=[(gid, name, count) for gid, name, count in by_group],
        by_assignee=[(aid, count) for aid, count in by_assignee],
    )
