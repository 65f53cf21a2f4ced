"""Benchmark datasets: PostgreSQL cases databases filled by the generator (`python -m cases generate`).

- `cases_database(n)`: a migrated, seeded cases database holding `n` synthetic cases, built on first use
  and reused afterwards (keyed by size, messages per case and seed; about 2 minutes per 100,000 cases);
  pass it to `running_system(..., databases={"cases": url})` to start the system against it.
- `preload_cases(url, n)`: fill an already migrated cases database (e.g. a fresh one of
  `running_system`, before its services start) with `n` synthetic cases, for benchmarks that must
  run against a populated system (mail ingest is measured into 100,000 cases, to show no per-case slowdown).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("HELPDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
COMPLETE = "helpdesk bench dataset: complete"


def _admin_dsn() -> str:
    return PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")


def database_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def dataset_name(cases: int, messages_per_case: int = 3, seed: int = 1) -> str:
    return f"bench_cases_{cases}_m{messages_per_case}_s{seed}"


def _cases_command(command: str, db_url: str) -> None:
    env = {**os.environ, "HELPDESK_ENV": "test", "HELPDESK_HOME": str(ROOT), "CASES_DATABASE_URL": db_url}
    result = subprocess.run(
        [sys.executable, "-m", "cases", command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    if result.returncode != 0:
        raise RuntimeError(f"cases {command} failed:\n{result.stdout}\n{result.stderr}")


def _state(name: str) -> str | None:
    """None: no such database; otherwise its comment ('' while a build has not finished)."""
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
    return None if row is None else str(row[0])


def cases_database(
    cases: int, *, messages_per_case: int = 3, seed: int = 1, rebuild: bool = False, progress: bool = True
) -> str:
    """The URL of a cases database with `cases` generated cases (built once, then reused; migrated each time)."""
    name = dataset_name(cases, messages_per_case, seed)
    url = database_url(name)
    state = _state(name)
    if state is not None and state.startswith(COMPLETE) and not rebuild:
        _cases_command("migrate", url)  # a newer migration applies to the kept data
        return url
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    _cases_command("migrate", url)
    _cases_command("seed", url)
    report = preload_cases(url, cases, messages_per_case=messages_per_case, seed=seed, progress=progress)
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{COMPLETE}; {report.summary()}'")
    return url


def preload_cases(db_url: str, cases: int, *, messages_per_case: int = 3, seed: int = 1, progress: bool = True) -> Any:
    """Generate `cases` synthetic cases into a migrated cases database, then VACUUM ANALYZE it.

    Returns the generator's report (`.cases`, `.messages`, `.seconds`, `.summary()`). Run it before
    the cases worker starts or while it runs: the loader takes the case-number row lock per batch,
    so cases created meanwhile get numbers after the generated ones.
    """
    from cases.bulk.writes_generator import generate
    from chassis.db import make_engine

    engine = make_engine(db_url)
    try:
        report = generate(engine, cases=cases, messages_per_case=messages_per_case, seed=seed, progress=progress)
    finally:
        engine.dispose()
    started = time.perf_counter()
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"{report.summary()}; VACUUM ANALYZE {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return report
