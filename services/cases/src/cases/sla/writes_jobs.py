"""SLA recomputations too big for a request: a job row now, batches from the cases worker's timer (decision 0144).

A policy, calendar or group change re-applies the SLA to the open cases it may touch. Up to
`inline_max` cases that happens in the change's own transaction, as before (decision 0077); above it
the change records a `sla_recompute_job` (the criteria of the policies before and after) in the same
transaction, and the SLA timer of any cases worker works it off `batch` cases per transaction, in case
id order, remembering how far it got. A crash loses nothing: the next tick goes on from `after_case_id`.
While a job runs, the cases it has not reached yet show their old due times.

Metrics on the worker's /metrics: `helpdesk_sla_jobs_unfinished{state}` and
`helpdesk_sla_job_oldest_unfinished_seconds`, refreshed from the table at every job tick, and
`helpdesk_sla_job_cases_recomputed_total`, counted at each batch's commit (docs/sla.md).
"""

from __future__ import annotations

import functools
from typing import Any

from prometheus_client import Counter, Gauge
from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.common.runtime import Runtime
from cases.sla import writes as service
from cases.sla.rules import Criteria
from cases.sla.tables import SlaRecomputeJob
from chassis.db import utcnow
from chassis.logging import get_logger
from contracts.cases import Status

log = get_logger(__name__)

_DONE = (Status.CLOSED.value,)

# every cases worker reads the same table: the gauges agree across workers (aggregate with max, not sum)
JOBS_UNFINISHED = Gauge(
    "helpdesk_sla_jobs_unfinished", "SLA recompute jobs not finished (queued: no batch done yet)", ["state"]
)
JOB_OLDEST_UNFINISHED = Gauge(
    "helpdesk_sla_job_oldest_unfinished_seconds", "Age of the oldest SLA recompute job not finished (0: none)"
)
JOB_CASES_RECOMPUTED = Counter(
    "helpdesk_sla_job_cases_recomputed_total", "Cases recomputed by SLA recompute jobs in this process"
)


@functools.cache
def _settings() -> tuple[int, int]:
    """(inline max, job batch) from CASES_SLA_INLINE_RECOMPUTE_MAX and CASES_SLA_JOB_BATCH."""
    from cases.settings import CasesSettings

    settings = CasesSettings()
    return max(0, settings.sla_inline_recompute_max), max(1, settings.sla_job_batch)


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
    The job gauges are refreshed afterwards, also when a batch failed (a job that keeps failing stays visible).
    """
    try:
        return _work_off(runtime, batch or _settings()[1], max_batches)
    finally:
        with runtime.transaction() as session:
            refresh_metrics(session)


def _work_off(runtime: Runtime, batch: int, max_batches: int) -> int:
    recomputed = 0
    for _ in range(max_batches):
        batch_done = 0
        with runtime.transaction() as session:
            job = session.scalars(
                select(SlaRecomputeJob)
                .where(SlaRecomputeJob.finished_at.is_(None))
                .order_by(SlaRecomputeJob.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if job is None:
                break
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
                batch_done = len(ids)
            if len(ids) < batch:
                job.finished_at = utcnow()
                log.info("sla_recompute_job_finished", job_id=job.id, cases=job.done)
        JOB_CASES_RECOMPUTED.inc(batch_done)  # after the commit: a batch rolled back counts nothing
        recomputed += batch_done
    return recomputed


def pending(session: Session) -> list[dict[str, Any]]:
    """Jobs not finished yet, oldest first, for operators, the job metrics and tests."""
    rows = session.scalars(
        select(SlaRecomputeJob).where(SlaRecomputeJob.finished_at.is_(None)).order_by(SlaRecomputeJob.id)
    )
    return [
        {"id": j.id, "reason": j.reason, "done": j.done, "after_case_id": j.after_case_id, "created_at": j.created_at}
        for j in rows
    ]


def refresh_metrics(session: Session) -> None:
    """Set the job gauges from the table: jobs not finished by state, and the age of the oldest."""
    jobs = pending(session)  # a handful at most: each is one large admin change
    running = sum(1 for j in jobs if j["after_case_id"] > 0)
    JOBS_UNFINISHED.labels("running").set(running)
    JOBS_UNFINISHED.labels("queued").set(len(jobs) - running)
    oldest = min((j["created_at"] for j in jobs), default=None)
    JOB_OLDEST_UNFINISHED.set(max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0)
