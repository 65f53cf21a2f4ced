"""Reads of time on cases: totals per case and per agent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.common import repo
from cases.search import reads_filters as search_filters
from cases.time import rules as timer
from cases.time.tables import TimeEntry
from contracts.case_work import AgentTime, TimeEntryRead, TimeTotals
from contracts.search import Viewer


def time_entry_read(row: TimeEntry) -> TimeEntryRead:
    return TimeEntryRead.model_validate(row, from_attributes=True)


def case_time(*, session: Session, case_id: int) -> TimeTotals:
    """Entries of a case with totals, overall and per agent (running timers listed, not counted)."""
    repo.require_case(session, case_id)
    rows = list(session.scalars(select(TimeEntry).where(TimeEntry.case_id == case_id).order_by(TimeEntry.id)))
    minutes, billable, by_agent = timer.totals(timer.Entry(r.agent_id, r.minutes, r.billable, r.running) for r in rows)
    return TimeTotals(
        case_id=case_id,
        minutes=minutes,
        billable_minutes=billable,
        by_agent=[AgentTime(agent_id=a, minutes=m, billable_minutes=b) for a, (m, b) in sorted(by_agent.items())],
        entries=[time_entry_read(r) for r in rows],
    )


def agent_time(*, session: Session, agent_id: int, viewer: Viewer | None = None) -> AgentTime:
    """An agent's total over all cases `viewer` may see (None: a trusted caller or an admin, every case)."""
    query = select(TimeEntry).where(TimeEntry.agent_id == agent_id)
    scope = search_filters.load_scope(session, viewer)
    if not scope.unrestricted:
        query = query.join(Case, Case.id == TimeEntry.case_id).where(search_filters.visible(scope))
    rows = session.scalars(query)
    minutes, billable, _ = timer.totals(timer.Entry(r.agent_id, r.minutes, r.billable, r.running) for r in rows)
    return AgentTime(agent_id=agent_id, minutes=minutes, billable_minutes=billable)
