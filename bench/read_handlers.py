"""CPU per hot read in the cases worker's handler bodies and in PostgreSQL, in-process (decision 0164).

`bench/read_cpu.py` measures whole processes through the API; on a shared 2-core machine its per-process CPU
moves by more than the handler work this measures. Here, in one process and without nameko, each hot read is
called as the worker calls it (a read session, the service function, the reply's JSON), `--requests` times
per round, best of `--rounds`: user+system CPU of this process (`time.process_time`), CPU of the PostgreSQL
backend that ran the statements (its `/proc/<pid>/stat`, so PostgreSQL must run on this machine) and SQL
statements per call. `--profile PATH` writes a CPU-time cProfile of the measured calls.

Usage: .venv/bin/python bench/read_handlers.py [--cases 20000] [--requests 500] [--only view_mine] [--profile P]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from dataset import cases_database  # noqa: E402
from search import busiest_agent, sample_case_ids  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=500, help="calls per round and endpoint")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default=None, help="measure only the endpoints whose name contains this")
    parser.add_argument("--profile", type=Path, default=None, help="write a CPU-time cProfile here")
    args = parser.parse_args()

    from sqlalchemy import event, text
    from sqlalchemy.engine import Engine

    from cases.case import reads as queries
    from cases.search import reads as service
    from cases.search import writes_saved as saved
    from chassis.db import make_engine, make_read_sessionmaker, make_sessionmaker
    from contracts.search import SavedSearchWrite, Viewer

    url = cases_database(args.cases, messages_per_case=3, seed=1, rebuild=False)
    agent_id, _email, _open = busiest_agent(url)
    case_ids = sample_case_ids(url, args.requests, 1)
    engine = make_engine(url)
    writes, reads = make_sessionmaker(engine), make_read_sessionmaker(engine)
    viewer = Viewer(agent_id=agent_id, is_admin=False)
    statements = [0]

    def _count(*_args: Any) -> None:
        statements[0] += 1

    event.listen(Engine, "before_cursor_execute", _count)
    filters = {"statuses": ["open", "waiting"], "priorities": ["high", "urgent"]}  # bench/read_cpu.py's search
    with writes() as s, s.begin():
        search_id = saved.create(
            s, service.load_scope(s, viewer), SavedSearchWrite(name="bench: handlers", filters=filters)
        ).id

    def reply(call: Callable[..., Any], **kwargs: Any) -> str:
        with reads() as s:  # as CasesService._read_session + _raw
            return str(call(session=s, **kwargs).model_dump_json())

    def detail(i: int) -> str:
        try:
            return reply(queries.get_case, case_id=case_ids[i % len(case_ids)], viewer=viewer)
        except Exception as exc:  # a sampled id of a hidden case answers 404, as through the API
            return type(exc).__name__

    endpoints: dict[str, Callable[[int], Any]] = {
        **{
            f"view_{key}": (
                lambda _i, key=key: reply(service.view_cases, viewer=viewer, key=key, cursor=None, limit=25)
            )
            for key in ("mine", "unanswered", "my_groups")
        },
        "case_detail": detail,
        "saved_search_count": lambda _i: reply(service.saved_search_count, viewer=viewer, search_id=search_id),
    }
    if args.only:
        endpoints = {k: v for k, v in endpoints.items() if args.only in k}
    with engine.connect() as conn:  # the pool's one connection: every call below runs on this backend
        backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    tick = os.sysconf("SC_CLK_TCK")

    def backend_cpu() -> float:
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    profiler = cProfile.Profile(time.process_time) if args.profile else None
    figures: dict[str, Any] = {}
    try:
        for name, call in endpoints.items():
            for i in range(50):  # warm: caches, prepared statements
                call(i)
            best: tuple[float, float, float] | None = None
            for _round in range(args.rounds):
                statements[0] = 0
                cpu, pg = time.process_time(), backend_cpu()
                if profiler:
                    profiler.enable()
                for i in range(args.requests):
                    call(i)
                if profiler:
                    profiler.disable()
                n = args.requests
                got = ((time.process_time() - cpu) * 1000 / n, (backend_cpu() - pg) * 1000 / n, statements[0] / n)
                best = got if best is None or got[0] < best[0] else best
            assert best is not None
            figures[name] = {"handler_cpu_ms": round(best[0], 3), "postgres_cpu_ms": round(best[1], 3)}
            figures[name]["statements"] = round(best[2], 2)
    finally:
        with writes() as s, s.begin():
            s.execute(text("DELETE FROM saved_search WHERE id = :id"), {"id": search_id})
        engine.dispose()
    if profiler and args.profile:
        profiler.dump_stats(args.profile)
    print(json.dumps({"cases": args.cases, "requests": args.requests, "rounds": args.rounds, **figures}, indent=1))


if __name__ == "__main__":
    main()
