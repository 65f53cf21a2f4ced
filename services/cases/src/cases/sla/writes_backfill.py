"""`python -m cases sla-recompute`: apply the SLA to cases written without the ORM (bulk import, generator).

Cases not closed are recomputed in batches, one transaction per batch, oldest first; safe to run again
and while workers run (each case is locked the same way a change locks it).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.sla import writes as service
from cases.sla.tables import CaseSlaTarget
from chassis.db import make_sessionmaker, unit_of_work, utcnow
from contracts.cases import Status


def recompute_open_cases(
    engine: Engine, *, batch: int = 1000, progress: bool = False, notify_past: bool = False
) -> int:
    """Recompute every case not closed; returns how many.

    Without `notify_past`, warnings and breaches whose time has already passed are marked as handled
    instead of sent: an import of old cases should not page every agent about last year's cases.
    """
    factory = make_sessionmaker(engine)
    open_cases = Case.status != Status.CLOSED.value
    with unit_of_work(factory) as session:
        total = session.scalar(select(func.count()).select_from(Case).where(open_cases)) or 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="sla", unit=" cases", file=sys.stderr)
    done, after = 0, 0
    try:
        while True:
            with unit_of_work(factory) as session:
                ids = list(
                    session.scalars(select(Case.id).where(open_cases, Case.id > after).order_by(Case.id).limit(batch))
                )
                if not ids:
                    break
                now = utcnow()
                service.recompute_cases(session, ids, now)
                if not notify_past:
                    _quiet_past(session, ids, now)
                after = ids[-1]
            done += len(ids)
            if bar is not None:
                bar.update(len(ids))
    finally:
        if bar is not None:
            bar.close()
    return done


def _quiet_past(session: Session, case_ids: list[int], now: datetime) -> None:
    target = CaseSlaTarget
    for marker, done in (
        (target.warn_pending_at, target.warned_due_at),
        (target.breach_pending_at, target.breached_due_at),
    ):
        session.execute(
            update(target)
            .where(target.case_id.in_(case_ids), marker <= now)
            .values({done: target.due_at, marker: None})
            .execution_options(synchronize_session=False)
        )


def main(argv: list[str]) -> int:
    from cases.settings import CasesSettings
    from chassis.db import make_engine

    parser = argparse.ArgumentParser(prog="python -m cases sla-recompute", description=__doc__)
    parser.add_argument("--batch", type=int, default=1000, help="cases per transaction")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--notify-past", action="store_true", help="also send warnings/breaches whose time has already passed"
    )
    args = parser.parse_args(argv)
    engine = make_engine(CasesSettings().db_url)
    try:
        started = time.monotonic()
        count = recompute_open_cases(
            engine, batch=args.batch, progress=not args.no_progress, notify_past=args.notify_past
        )
        print(f"recomputed the SLA of {count} cases in {time.monotonic() - started:.1f} s")
    finally:
        engine.dispose()
    return 0


def command(*argv: str) -> None:
    raise SystemExit(main(list(argv)))
