"""Time on a case (B7): manual entries, start/stop timers per agent; one transaction each."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.common import repo
from cases.common.runtime import Runtime
from cases.directory.tables import Agent
from cases.time import rules as timer
from cases.time.reads import time_entry_read
from cases.time.tables import TimeEntry
from chassis.db import utcnow
from contracts.case_work import TimeEntryCreate, TimeEntryRead, TimeLogged
from contracts.cases import Actor
from contracts.errors import ValidationFailed


def _agent_of(session: Session, actor: Actor, agent_id: int | None = None) -> int:
    """The agent the time belongs to: the given one, else the acting agent."""
    chosen = agent_id if agent_id is not None else actor.id if actor.type.value == "agent" else None
    if chosen is None:
        raise ValidationFailed(message="time belongs to an agent: give agent_id", details={"missing": "agent_id"})
    repo.require_agent(session, chosen)
    return chosen


def log_time(*, runtime: Runtime, case_id: int, data: TimeEntryCreate, actor: Actor) -> TimeEntryRead:
    """A manual entry of minutes worked."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        agent_id = _agent_of(session, actor, data.agent_id)
        now = utcnow()
        entry = TimeEntry(
            case_id=case.id,
            agent_id=agent_id,
            minutes=data.minutes,
            billable=data.billable,
            note=data.note,
            running=False,
            created_at=now,
        )
        session.add(entry)
        session.flush()
        repo.record_history(session, case=case, field="time_logged", old=None, new=_describe(entry), actor=actor)
        read = time_entry_read(entry)
        runtime.emit(session, TimeLogged(entry=read, change="logged", actor=actor))
        return read


def start_timer(*, runtime: Runtime, case_id: int, billable: bool, actor: Actor) -> TimeEntryRead:
    """Start the acting agent's timer on this case (one running timer per agent)."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        agent_id = _agent_of(session, actor)
        # lock the agent row: two starts by one agent in parallel must not both pass the check
        session.execute(select(Agent.id).where(Agent.id == agent_id).with_for_update())
        running = session.scalar(select(TimeEntry.id).where(TimeEntry.agent_id == agent_id, TimeEntry.running))
        timer.check_start(running_elsewhere=running is not None)
        now = utcnow()
        entry = TimeEntry(
            case_id=case.id,
            agent_id=agent_id,
            minutes=0,
            billable=billable,
            note="",
            started_at=now,
            running=True,
            created_at=now,
        )
        session.add(entry)
        session.flush()
        repo.record_history(session, case=case, field="timer_started", old=None, new=str(agent_id), actor=actor)
        read = time_entry_read(entry)
        runtime.emit(session, TimeLogged(entry=read, change="started", actor=actor))
        return read


def stop_timer(*, runtime: Runtime, case_id: int, actor: Actor) -> TimeEntryRead:
    """Stop the acting agent's timer on this case; the elapsed minutes become the entry."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        agent_id = _agent_of(session, actor)
        entry = session.scalar(
            select(TimeEntry)
            .where(TimeEntry.case_id == case.id, TimeEntry.agent_id == agent_id, TimeEntry.running)
            .with_for_update()
        )
        timer.check_stop(has_running=entry is not None)
        assert entry is not None and entry.started_at is not None
        now = utcnow()
        entry.ended_at, entry.running = now, False
        entry.minutes = timer.elapsed_minutes(started_at=entry.started_at, ended_at=now)
        repo.record_history(session, case=case, field="time_logged", old=None, new=_describe(entry), actor=actor)
        session.flush()
        read = time_entry_read(entry)
        runtime.emit(session, TimeLogged(entry=read, change="stopped", actor=actor))
        return read


def _describe(entry: TimeEntry) -> str:
    return f"{entry.minutes} min{' billable' if entry.billable else ''} (agent {entry.agent_id})"
