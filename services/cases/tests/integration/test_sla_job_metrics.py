"""The SLA job metrics (decision 0144): jobs not finished by state, the oldest one's age, and the
cases the jobs recomputed, against real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from conftest import _run
from prometheus_client import REGISTRY
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from cases.case.tables import Case
from cases.sla import writes_jobs as jobs
from cases.sla.rules import Criteria
from cases.sla.tables import SlaRecomputeJob
from chassis.db import make_engine, make_sessionmaker, unit_of_work, utcnow
from chassis.testing import pg_database


class _Runtime:
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def transaction(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.factory)


@pytest.fixture(scope="module")
def runtime() -> Iterator[_Runtime]:
    with pg_database("sla_metrics") as url:
        _run("migrate", {"CASES_DATABASE_URL": url})
        engine = make_engine(url)
        try:
            yield _Runtime(make_sessionmaker(engine))
        finally:
            engine.dispose()


def _sample(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    assert value is not None, f"{name}{labels} is not exported"
    return value


def _job(runtime: _Runtime, cases: int, age: timedelta = timedelta(0)) -> int:
    """`cases` open cases (a policy change over all of them) and the job that recomputes them."""
    with runtime.transaction() as s:
        first = (s.query(Case).count() or 0) + 1
        s.add_all(
            [
                Case(number=first + n, title=f"Case {n}", status="open", priority="medium", source="email")
                for n in range(cases)
            ]
        )
        s.flush()
        job = jobs.reapply(s, [Criteria(None, None, None)], reason="test", inline_max=0)
        assert job is not None
        s.execute(update(SlaRecomputeJob).where(SlaRecomputeJob.id == job.id).values(created_at=utcnow() - age))
        return job.id


def test_the_job_tick_reports_unfinished_jobs_and_counts_recomputed_cases(runtime: _Runtime) -> None:
    counted = REGISTRY.get_sample_value("helpdesk_sla_job_cases_recomputed_total") or 0.0
    _job(runtime, 5, age=timedelta(minutes=10))

    assert jobs.run_jobs(runtime=runtime, batch=2, max_batches=1) == 2  # one batch: the job is under way
    assert _sample("helpdesk_sla_jobs_unfinished", state="running") == 1
    assert _sample("helpdesk_sla_jobs_unfinished", state="queued") == 0
    assert _sample("helpdesk_sla_job_cases_recomputed_total") == counted + 2
    assert 600 <= _sample("helpdesk_sla_job_oldest_unfinished_seconds") < 3600

    _job(runtime, 1)  # a second job waits behind the first (and its cases are the first job's too: criteria any)
    jobs.run_jobs(runtime=runtime, batch=2, max_batches=1)
    assert _sample("helpdesk_sla_jobs_unfinished", state="running") == 1
    assert _sample("helpdesk_sla_jobs_unfinished", state="queued") == 1

    jobs.run_jobs(runtime=runtime, batch=2, max_batches=10)  # both finish
    assert _sample("helpdesk_sla_jobs_unfinished", state="running") == 0
    assert _sample("helpdesk_sla_jobs_unfinished", state="queued") == 0
    assert _sample("helpdesk_sla_job_oldest_unfinished_seconds") == 0
    # first job: 6 cases (5 + the one made while it ran, after its cursor); second job: 6
    assert _sample("helpdesk_sla_job_cases_recomputed_total") == counted + 12
    with runtime.transaction() as s:
        assert jobs.pending(s) == []


def test_a_failing_batch_still_refreshes_the_gauges_and_counts_nothing(runtime: _Runtime) -> None:
    with runtime.transaction() as s:
        assert jobs.pending(s) == []  # the test above left nothing running
    counted = REGISTRY.get_sample_value("helpdesk_sla_job_cases_recomputed_total") or 0.0
    _job(runtime, 3)
    with runtime.transaction() as s:  # the job's criteria no longer parse: its batch fails every tick
        s.execute(update(SlaRecomputeJob).where(SlaRecomputeJob.finished_at.is_(None)).values(criteria=[None]))
    with pytest.raises(AttributeError):
        jobs.run_jobs(runtime=runtime, batch=2)
    assert _sample("helpdesk_sla_jobs_unfinished", state="queued") == 1
    assert _sample("helpdesk_sla_job_cases_recomputed_total") == counted
