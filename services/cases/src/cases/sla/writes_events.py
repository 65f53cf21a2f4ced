"""The SLA timer (B13): send `sla_warning` / `sla_breached` once each per case, metric and due time.

Every worker runs it. Candidates come from two small indexes (`warn_pending_at`, `breach_pending_at`,
set only while an event is owed for the current due time). One tick is one transaction: lock the
candidates' cases with SKIP LOCKED (a case being changed, or claimed by another worker, waits for the
next tick; the timer never waits on a lock, so it cannot deadlock with a change), re-check each marker,
record the event in `sla_event_sent` (unique per case, metric, kind and due time), clear the marker,
move the case's `sla_state`, and add the event to the outbox: all or nothing (decision 0078).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.common import repo
from cases.common.runtime import Runtime
from cases.sla import writes as service
from cases.sla.tables import CaseSlaTarget, SlaEventSent, SlaPolicy
from chassis.db import dialect_insert, utcnow
from chassis.logging import get_logger
from contracts.sla import SlaBreached, SlaMetric, SlaWarning

log = get_logger(__name__)

WARNING, BREACHED = "warning", "breached"
# (kind, the marker of an owed event, the due time it was sent for)
_KINDS = ((WARNING, "warn_pending_at", "warned_due_at"), (BREACHED, "breach_pending_at", "breached_due_at"))


def send_due_events(*, runtime: Runtime, now: datetime | None = None, limit: int = 200) -> int:
    """Send the warnings and breaches due at `now` for up to `limit` cases; returns how many were sent."""
    now = now or utcnow()
    with runtime.transaction() as session:
        owed: set[int] = set()
        for column in (CaseSlaTarget.warn_pending_at, CaseSlaTarget.breach_pending_at):
            owed.update(
                session.scalars(select(CaseSlaTarget.case_id).where(column <= now).order_by(column).limit(limit))
            )
        if not owed:
            return 0
        # SQLite ignores FOR UPDATE: its writers take turns anyway, and the unique key still holds
        locked = session.scalars(
            select(Case.id)
            .where(Case.id.in_(sorted(owed)))
            .order_by(Case.id)
            .with_for_update(skip_locked=True, of=Case)
        ).all()
        sent = _send(runtime, session, locked, now) if locked else 0
    if sent:
        log.info("sla_events_sent", count=sent)
    return sent


def _send(runtime: Runtime, session: Session, case_ids: Sequence[int], now: datetime) -> int:
    targets: dict[int, list[CaseSlaTarget]] = {i: [] for i in case_ids}
    rows = session.scalars(
        select(CaseSlaTarget)
        .where(CaseSlaTarget.case_id.in_(case_ids))
        .order_by(CaseSlaTarget.id)
        .execution_options(populate_existing=True)
    )
    for row in rows:
        targets[row.case_id].append(row)
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    policies = {p.id: p for p in session.scalars(select(SlaPolicy))}
    sent = 0
    for case_id in case_ids:
        owed = []
        for row in targets[case_id]:
            for kind, marker, done in _KINDS:
                pending = getattr(row, marker)
                if pending is None or pending > now or row.due_at is None:
                    continue  # nothing owed, or recomputed meanwhile (met, paused, a new due time)
                if kind == BREACHED:
                    row.breached = True
                setattr(row, marker, None)
                setattr(row, done, row.due_at)
                if _claim(session, row, kind):
                    owed.append((kind, row))
        case = cases[case_id]
        state = service.state_from_targets(targets[case_id], now).value
        if case.sla_state != state:
            case.sla_state = state  # the state moves with the event, in the same transaction
        if not owed:
            continue
        read = repo.case_read(case)
        for kind, row in owed:
            policy = policies.get(row.policy_id) if row.policy_id else None
            assert row.due_at is not None
            fields = {
                "case": read,
                "metric": SlaMetric(row.metric),
                "due_at": row.due_at,
                "policy_id": policy.id if policy else 0,
                "policy_name": policy.name if policy else "",
            }
            runtime.emit(session, SlaWarning(**fields) if kind == WARNING else SlaBreached(**fields))
            sent += 1
    return sent


def _claim(session: Session, row: CaseSlaTarget, kind: str) -> bool:
    """Record the event for (case, metric, kind, due time); False when it was already sent."""
    inserted = session.scalar(
        dialect_insert(session, SlaEventSent.__table__)
        .values(case_id=row.case_id, metric=row.metric, kind=kind, due_at=row.due_at, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(SlaEventSent.__table__.c.id)
    )
    return inserted is not None
