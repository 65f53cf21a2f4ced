"""SLA recomputations too big for a request: a job row now, batches from the cases worker's timer (decision 0144).

A policy, calendar or group change re-applies the SLA to the open cases it may touch. Up to
`inline_max` cases that happens in the change's own transaction, as before (decision 0077); above it
the change records a `sla_recompute_job` (the criteria of the policies before and after) in the same
transaction, and the SLA timer of any cases worker works it off `batch` cases per transaction, in case
id order, remembering how far it got. A crash loses nothing: the next tick goes on from `after_case_id`.
While a job runs, the cases it has not reached yet show their old due times.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from cases.db.models import Case
from cases.db.sla_models import SlaRecomputeJob
from cases.sla import service
from cases.sla.matching import Criteria
from chassis.db import utcnow
from chassis.logging import get_logger
from contracts.cases import Status

log = get_logger(__name__)

_DONE = (Status.CLOSED.value,)


@functools.cache
def _settings() -> tuple[int, int]:
    """(inline max, job batch) from CASES_SLA_INLINE_RECOMPUTE_MAX and CASES_SLA_JOB_BATCH."""
    from cases.settings import CasesSettings

    settings = CasesSettings()
    return max(0, settings.sla_inline_recompute_max), max(1, settings.sla_job_batch)


class Runtime(Protocol):
    def transaction(self) -> AbstractContextManager[Session]: ...


def _clause(c: Criteria) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = [true()]
    if c.priority is not None:
        parts.append(Case.priority == c.priority)
    if c.type_id is not None:
        parts.append(Case.type_id == c.type_id)
    if c.group_id is not None:
        parts.append(Case.group_id == c.group_id)
    return and_(*parts)


def _scope(criteria: list[Criteria]) -> ColumnElement[bool]:
    """Cases not closed that any of the criteria match (a closed case's figures are final)."""
    return and_(Case.status.not_in(_DONE), or_(*[_clause(c) for c in criteria]))


def reapply(
    session: Session,
    criteria: list[Criteria],
    *,
    reason: str,
    extra_case_ids: list[int] | None = None,
    inline_max: int | None = None,
) -> SlaRecomputeJob | None:
    """Re-apply the SLA to the open cases `criteria` match (plus `extra_case_ids`): now, or as a job.

    Returns the job when one was recorded (the caller's transaction commits it with the change).
    """
    limit = _settings()[0] if inline_max is None else inline_max
    extra = sorted(set(extra_case_ids or []))
    ids: list[int] = []
    if criteria:
        ids = list(session.scalars(select(Case.id).where(_scope(criteria)).order_by(Case.id).limit(limit + 1)))
    if len(ids) + len(extra) <= limit:
        service.recompute_cases(session, sorted(set(ids) | set(extra)))
        return None
    if extra:  # few by nature (cases whose targets pointed at a deleted policy): done now
        service.recompute_cases(session, extra)
    job = SlaRecomputeJob(
        reason=reason[:200],
        criteria=[{"priority": c.priority, "type_id": c.type_id, "group_id": c.group_id} for c in criteria],
        after_case_id=0,
        done=0,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    log.info("sla_recompute_job_created", job_id=job.id, reason=job.reason, criteria=job.criteria)
    return job


def run_jobs(*, runtime: Runtime, batch: int | None = None, max_batches: int = 4) -> int:
    """Work off open jobs, oldest first, one batch per transaction; returns how many cases were recomputed.

    Each batch locks its job row (`SKIP LOCKED` on PostgreSQL), so two workers never take the same batch.
    At most `max_batches` per call: the timer's tick stays short and other timers get their turn.
    """
    batch = batch or _settings()[1]
    recomputed = 0
    for _ in range(max_batches):
        with runtime.transaction() as session:
            job = session.scalars(
                select(SlaRecomputeJob)
                .where(SlaRecomputeJob.finished_at.is_(None))
                .order_by(SlaRecomputeJob.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if job is None:
                return recomputed
            criteria = [Criteria(c.get("priority"), c.get("type_id"), c.get("group_id")) for c in job.criteria]
            ids = (
                list(
                    session.scalars(
                        select(Case.id)
                        .where(Case.id > job.after_case_id, _scope(criteria))
                        .order_by(Case.id)
                        .limit(batch)
                    )
                )
                if criteria
                else []
            )
            if ids:
                service.recompute_cases(session, ids)
                job.after_case_id, job.done = ids[-1], job.done + len(ids)
                recomputed += len(ids)
            if len(ids) < batch:
                job.finished_at = utcnow()
                log.info("sla_recompute_job_finished", job_id=job.id, cases=job.done)
    return recomputed


def pending(session: Session) -> list[dict[str, Any]]:
    """Jobs not finished yet, for operators and tests."""
    rows = session.scalars(
        select(SlaRecomputeJob).where(SlaRecomputeJob.finished_at.is_(None)).order_by(SlaRecomputeJob.id)
    )
    return [{"id": j.id, "reason": j.reason, "done": j.done, "after_case_id": j.after_case_id} for j in rows]
