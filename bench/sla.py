"""SLA benchmark (B13) of the cases service on PostgreSQL; prints the figures.

Generates N synthetic cases (`python -m cases generate`), adds one policy with an Oslo business calendar,
runs `python -m cases sla-recompute` (optionally `--notify-past`), shows the plans of the timer's scans and
of a list sorted by SLA due time, then times one timer tick sending what is owed.

Usage: .venv/bin/python bench/sla.py [--cases 20000] [--notify-past]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import create_engine, text

from chassis.testing import pg_database

_HOURS = '{"mon": [["08:00","16:00"]], "tue": [["08:00","16:00"]], "wed": [["08:00","16:00"]], ' + (
    '"thu": [["08:00","16:00"]], "fri": [["08:00","16:00"]]}'
)
PLANS = (
    "SELECT case_id FROM case_sla_target WHERE warn_pending_at <= now() ORDER BY warn_pending_at LIMIT 200",
    "SELECT case_id FROM case_sla_target WHERE breach_pending_at <= now() ORDER BY breach_pending_at LIMIT 200",
    'SELECT id, number FROM "case" ORDER BY sla_due_at LIMIT 25',
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--notify-past", action="store_true")
    args = parser.parse_args()
    with pg_database("cases") as url:
        env = {**os.environ, "HELPDESK_ENV": "test", "CASES_DATABASE_URL": url}

        def run(*command: str) -> None:
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "cases", *command], env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-3000:]
            print(f"{' '.join(command)}: {time.monotonic() - started:.1f} s  {done.stdout.strip()[-200:]}")

        run("migrate")
        run("seed")
        run("generate", "--cases", str(args.cases), "--no-progress")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO business_calendar (name, timezone, hours, country, closed_dates, created_at,"
                    " updated_at) VALUES ('Oslo', 'Europe/Oslo', CAST(:hours AS jsonb), 'NO', '[]', now(), now())"
                ),
                {"hours": _HOURS},
            )
            conn.execute(
                text(
                    "INSERT INTO sla_policy (name, first_response_minutes, resolution_minutes, calendar_id,"
                    " warning_percent, active, created_at, updated_at) VALUES ('All', 240, 2400,"
                    " (SELECT id FROM business_calendar), 80, true, now(), now())"
                )
            )
        run("sla-recompute", "--no-progress", *(["--notify-past"] if args.notify_past else []))
        with engine.begin() as conn:
            print("states:", conn.execute(text('SELECT sla_state, count(*) FROM "case" GROUP BY 1 ORDER BY 1')).all())
            conn.execute(text("ANALYZE"))
            for query in PLANS:
                print("\n".join(r[0] for r in conn.execute(text("EXPLAIN ANALYZE " + query))))
        _tick(engine)
        engine.dispose()


def _tick(engine: Any) -> None:
    from cases.common.tables import OutboxMessage
    from cases.sla import writes_events as events
    from chassis.db import make_sessionmaker, unit_of_work
    from chassis.outbox import add_event

    factory = make_sessionmaker(engine)

    class Runtime:
        def transaction(self) -> Any:
            return unit_of_work(factory)

        def emit(self, session: Any, payload: Any, correlation_id: str | None = None) -> Any:
            return add_event(session, OutboxMessage, payload, source="cases", correlation_id=correlation_id)

    started = time.monotonic()
    sent = events.send_due_events(runtime=Runtime(), limit=1000)
    took = time.monotonic() - started
    print(f"timer tick: {sent} events in {took:.2f} s ({sent / took if took else 0:.0f} events/s)")


if __name__ == "__main__":
    main()
