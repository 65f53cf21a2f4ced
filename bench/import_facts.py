"""The cost per case of reports counting imported cases and of SLA changes over many cases (decisions 0143, 0144).

On fresh PostgreSQL databases: generates N cases (`python -m cases generate`), then measures in this process
(process CPU time and SQL statements, which a busy shared machine does not inflate the way it does wall time):
1. `cases.case_facts` over every generated id, in pages of 500 (what reports asks per `cases_imported`);
2. reports folding those facts into `case_summary` (`reports.handlers.apply_facts`), once and again (the
   repeated delivery, which must change nothing);
3. an SLA background job (decision 0144): one catch-all policy saved with `inline_max=0`, then
   `jobs.run_jobs` until the job is finished;
4. the "SLA at risk" count of the agent UI (decision 0145) on the result, with its plan.

Usage: .venv/bin/python bench/import_facts.py [--cases 20000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from chassis.db import make_engine, make_sessionmaker, unit_of_work
from chassis.testing import pg_database


@contextmanager
def counted(engine: Engine) -> Iterator[dict[str, float]]:
    """CPU seconds of this process and statements sent to `engine` while the block runs."""
    figures = {"statements": 0.0, "cpu": 0.0, "wall": 0.0}

    def count(*_: Any) -> None:
        figures["statements"] += 1

    event.listen(engine, "before_cursor_execute", count)
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        yield figures
    finally:
        figures["cpu"], figures["wall"] = time.process_time() - cpu, time.perf_counter() - wall
        event.remove(engine, "before_cursor_execute", count)


def show(what: str, n: int, f: dict[str, float]) -> None:
    print(
        f"{what}: {n} cases, {f['cpu'] * 1e6 / max(n, 1):.0f} us CPU/case, "
        f"{f['statements']:.0f} statements, wall {f['wall']:.2f} s"
    )


def migrate(package: str, url: str, *extra: str) -> None:
    env = {**os.environ, "HELPDESK_ENV": "test", f"{package.upper()}_DATABASE_URL": url}
    for command in ("migrate", *extra):
        done = subprocess.run([sys.executable, "-m", package, command], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]


class _Runtime:
    def __init__(self, factory: Callable[[], Session]) -> None:
        self.factory = factory

    def transaction(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.factory)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    args = parser.parse_args()
    from cases.bulk.reads import case_facts
    from cases.case.tables import Case
    from cases.sla import writes_jobs as jobs
    from cases.sla.rules import Criteria
    from contracts.bulk import CASE_FACTS_MAX
    from reports.handlers import apply_facts

    with pg_database("cases") as cases_url, pg_database("reports") as reports_url:
        migrate("cases", cases_url, "seed")
        migrate("reports", reports_url)
        env = {**os.environ, "HELPDESK_ENV": "test", "CASES_DATABASE_URL": cases_url}
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "cases", "generate", "--cases", str(args.cases), "--no-progress"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        print(f"generate {args.cases}: {time.monotonic() - started:.1f} s")
        cases_engine, reports_engine = make_engine(cases_url), make_engine(reports_url)
        try:
            with Session(cases_engine) as session:
                ids = list(session.scalars(select(Case.id).order_by(Case.id)))
            facts = []
            with counted(cases_engine) as f, Session(cases_engine) as session:
                for start in range(0, len(ids), CASE_FACTS_MAX):
                    facts += case_facts(session=session, case_ids=ids[start : start + CASE_FACTS_MAX]).items
            show("cases.case_facts (pages of 500)", len(facts), f)

            reports = make_sessionmaker(reports_engine)
            for label in ("reports apply_facts (first delivery)", "reports apply_facts (repeated, no change)"):
                with counted(reports_engine) as f, unit_of_work(reports) as session:
                    apply_facts(session=session, facts=facts)
                show(label, len(facts), f)
            with reports_engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM case_summary")).scalar_one() == len(facts)

            factory = make_sessionmaker(cases_engine)
            with unit_of_work(factory) as session:
                session.execute(
                    text(
                        "INSERT INTO sla_policy (name, first_response_minutes, resolution_minutes, warning_percent,"
                        " active, created_at, updated_at) VALUES ('all', 240, 2400, 80, true, now(), now())"
                    )
                )
                job = jobs.reapply(session, [Criteria(None, None, None)], reason="bench", inline_max=0)
                assert job is not None
            runtime = _Runtime(factory)
            total = 0
            with counted(cases_engine) as f:
                while True:
                    n = jobs.run_jobs(runtime=runtime, batch=500, max_batches=4)
                    total += n
                    if n == 0:
                        break
            show("SLA background job (batches of 500)", total, f)

            # the agent UI's "SLA at risk" count (decision 0145) now that many old open cases are breached
            from cases.sla.reads_at_risk import at_risk_count
            from contracts.search import Viewer

            with Session(cases_engine) as session:
                admin = session.execute(text("SELECT id FROM agent ORDER BY id LIMIT 1")).scalar_one()
                viewer = Viewer(agent_id=admin, is_admin=True)
                at_risk_count(session=session, viewer=viewer)  # warm
                with counted(cases_engine) as f:
                    for _ in range(100):
                        count = at_risk_count(session=session, viewer=viewer)
                states = dict(session.execute(text('SELECT sla_state, count(*) FROM "case" GROUP BY 1')).all())
                plan = session.execute(
                    text(
                        'EXPLAIN ANALYZE SELECT count(*) FROM (SELECT id FROM "case" WHERE sla_state IN'
                        " ('warning', 'breached') AND status NOT IN ('resolved', 'closed') LIMIT 1001) s"
                    )
                ).scalars()
                print(f"sla states: {states}")
                print(
                    f"sla_at_risk_count: {count.count}{'+' if count.capped else ''}, "
                    f"{f['cpu'] * 1e3 / 100:.2f} ms CPU and {f['wall'] * 1e3 / 100:.2f} ms wall per call (100 calls)"
                )
                print("\n".join(f"  {line}" for line in plan))
        finally:
            cases_engine.dispose()
            reports_engine.dispose()


if __name__ == "__main__":
    main()
