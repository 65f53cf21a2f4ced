"""Schedules of recurring cases (A6): every N days, weeks or months from a start. Pure, no I/O."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from contracts.case_work import RecurrenceUnit


def slot(*, start_at: datetime, every: int, unit: RecurrenceUnit, index: int) -> datetime:
    """The `index`-th slot (0 = start). Months keep the start's day, clamped to the month's end."""
    if unit is RecurrenceUnit.DAY:
        return start_at + timedelta(days=every * index)
    if unit is RecurrenceUnit.WEEK:
        return start_at + timedelta(weeks=every * index)
    months = start_at.month - 1 + every * index
    year, month = start_at.year + months // 12, months % 12 + 1
    day = min(start_at.day, calendar.monthrange(year, month)[1])
    return start_at.replace(year=year, month=month, day=day)


def next_after(*, start_at: datetime, every: int, unit: RecurrenceUnit, after: datetime) -> datetime:
    """The first slot strictly after `after` (skipped slots are not made up: one case per catch-up)."""
    index = 0
    if unit is not RecurrenceUnit.MONTH:
        step = timedelta(days=every) if unit is RecurrenceUnit.DAY else timedelta(weeks=every)
        index = max(int((after - start_at) / step) - 1, 0)
    while (candidate := slot(start_at=start_at, every=every, unit=unit, index=index)) <= after:
        index += 1
    return candidate


def due(*, next_at: datetime, now: datetime) -> bool:
    return next_at <= now
