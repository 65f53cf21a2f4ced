"""CPU per keyword search, in PostgreSQL and in the cases service, word by word (decisions 0138-0141).

Runs `cases.search.reads.search_cases` in-process against a kept bench database (see bench/dataset.py;
this script never builds or writes one) as the busiest non-admin agent, and reports for each word of
`bench/search.py`'s list: the SELECT statements run, the CPU time of the PostgreSQL backend
(`/proc/<pid>/schedstat`, so other load on the machine does not inflate it), the CPU time of this
Python process, and the wall time. `--explain FILE` also writes `EXPLAIN (ANALYZE, BUFFERS)` of each word's
ranking and snippet statements (the scope and page reads are in bench/search.py's plans file).

    .venv/bin/python bench/search_sql.py --cases 1000000 --runs 20
    .venv/bin/python bench/search_sql.py --cases 1000000 --explain bench/plans-search-words-1000000.txt
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HELPDESK_ENV", "test")

from dataset import database_url, dataset_name  # noqa: E402
from search import SEARCH_WORDS, busiest_agent  # noqa: E402


def backend_cpu_ns(pid: int) -> int:
    """On-CPU time of a local process in nanoseconds (scheduler statistics, not ticks)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="measured searches per word (after one warm-up)")
    parser.add_argument("--words", nargs="*", default=SEARCH_WORDS)
    parser.add_argument("--explain", type=Path, help="write the plans of every word's statements here")
    args = parser.parse_args()

    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    from cases.search import reads as service
    from chassis.db import make_engine
    from contracts.search import Viewer

    url = database_url(dataset_name(args.cases))
    agent_id, _email, _open = busiest_agent(url)
    viewer = Viewer(agent_id=agent_id, is_admin=False)
    engine = make_engine(url)
    captured: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        captured.append((statement, parameters))

    plans: list[str] = [f"# bench/search_sql.py --cases {args.cases}: EXPLAIN (ANALYZE, BUFFERS) per word", ""]
    print(f"{'word':<18} {'hits':>4} {'SELECTs':>7} {'db cpu ms':>9} {'py cpu ms':>9} {'wall ms':>8}")
    totals: list[float] = []
    with Session(engine) as session:
        pid = int(session.scalar(text("SELECT pg_backend_pid()")) or 0)
        session.rollback()
        for word in args.words:
            page = service.search_cases(session=session, viewer=viewer, q=word, cursor=None, limit=25)
            session.rollback()
            db: list[float] = []
            py: list[float] = []
            wall: list[float] = []
            for _ in range(args.runs):
                captured[:] = []
                d0, p0, w0 = backend_cpu_ns(pid), time.process_time(), time.perf_counter()
                service.search_cases(session=session, viewer=viewer, q=word, cursor=None, limit=25)
                session.rollback()
                wall.append((time.perf_counter() - w0) * 1000)
                py.append((time.process_time() - p0) * 1000)
                db.append((backend_cpu_ns(pid) - d0) / 1e6)
            selects = [(s, p) for s, p in captured if s.lstrip().upper().startswith(("SELECT", "WITH"))]
            totals.append(statistics.median(db) + statistics.median(py))
            print(
                f"{word:<18} {len(page.items):>4} {len(selects):>7} {statistics.median(db):>9.2f}"
                f" {statistics.median(py):>9.2f} {statistics.median(wall):>8.1f}"
            )
            if args.explain:
                captured[:] = []
                service.search_cases(session=session, viewer=viewer, q=word, cursor=None, limit=25)
                statements = list(captured)
                plans.append(f"=== GET /search?q={word}: {len(statements)} statement(s)")
                for sql, params in statements:
                    if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                        session.connection().exec_driver_sql(sql, params)  # SET LOCAL: the plans see it too
                        plans.append(f"--- {sql.strip()}")
                        continue
                    if "WITH pre" not in sql and "WITH cs" not in sql:  # scope and page reads: see search.py's plans
                        plans.append(f"--- {sql.strip()[:100]} ...")
                        continue
                    rows = session.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).all()
                    plans.append(f"--- {sql.strip()}\n--- params: {params}")
                    plans.extend(str(r[0]) for r in rows)
                plans.append("")
                session.rollback()
    engine.dispose()
    print(f"median over words of (db + py) CPU ms: {statistics.median(totals):.2f}; max {max(totals):.2f}")
    if args.explain:
        args.explain.write_text("\n".join(plans) + "\n")
        print(f"plans: {args.explain}")


if __name__ == "__main__":
    main()
