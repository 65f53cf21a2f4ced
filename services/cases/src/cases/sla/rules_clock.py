"""The SLA clock of one case (B13): which periods counted, which paused, when a target is due.

Pure: the caller passes the case's status periods (from its history), the calendar and `now`.
The clock runs while the status category is new or open; it pauses while waiting on the contact
or dormant, and stops at resolved/closed (reopening resumes it with the time already used).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cases.sla.rules_calendar import BusinessCalendar
from contracts.sla import SlaMetric, SlaState

PAUSING = frozenset({"waiting", "dormant"})
STOPPING = frozenset({"resolved", "closed"})


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # waiting on the contact or dormant
    MET = "met"
    STOPPED = "stopped"  # resolved/closed without meeting the target (a first response never sent)


class SpanKind(StrEnum):
    COUNTED = "counted"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class StatusPeriod:
    """The case was in status category `status` from `start` until `end` (None: it still is)."""

    status: str
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class Span:
    """A stretch of a target's clock, for the explanation: whether it counted and how much open time it had."""

    start: datetime
    end: datetime
    status: str
    kind: SpanKind
    business_seconds: int


@dataclass(frozen=True)
class TargetClock:
    metric: SlaMetric
    target_minutes: int
    warning_percent: int
    state: ClockState
    due_at: datetime | None  # when the target runs out (None while paused/stopped/met before it ran out)
    warn_at: datetime | None
    met_at: datetime | None
    elapsed: timedelta  # open time counted until met or now
    breached: bool
    spans: tuple[Span, ...]

    def warned(self, now: datetime) -> bool:
        return self.warn_at is not None and self.warn_at <= (self.met_at or now)


def status_periods(
    *, created_at: datetime, initial: str, changes: Sequence[tuple[datetime, str]], current: str, now: datetime
) -> list[StatusPeriod]:
    """Periods from the creation on, given the status changes (time, new category) in order.

    `current` is the status now: when it differs from the last recorded change (the history row of
    the change being made is not written yet), the change is taken to happen `now`.
    """
    periods: list[StatusPeriod] = []
    status, since = initial, created_at
    for at, new in sorted(changes, key=lambda c: c[0]):
        at = max(at, since)
        if new == status:
            continue
        periods.append(StatusPeriod(status, since, at))
        status, since = new, at
    if current != status:
        at = max(now, since)
        periods.append(StatusPeriod(status, since, at))
        status, since = current, at
    periods.append(StatusPeriod(status, since, None))
    return periods


def _budget(minutes: int, percent: int = 100) -> timedelta:
    return timedelta(seconds=minutes * 60 * percent / 100)


def evaluate(
    *,
    metric: SlaMetric,
    target_minutes: int,
    warning_percent: int,
    calendar: BusinessCalendar,
    periods: Sequence[StatusPeriod],
    met_at: datetime | None,
    now: datetime,
    detail: bool = True,
) -> TargetClock:
    """The clock of one target. `met_at`: the first public agent reply, or the resolution (for resolution).

    Without `detail` the walk stops once the due and warning instants are known: `elapsed` and `spans`
    are then partial (enough to store the target; the explanation asks for the detail).
    """
    end_of_clock = met_at if met_at is not None else now
    budget, warn_budget = _budget(target_minutes), _budget(target_minutes, warning_percent)
    used = timedelta(0)
    due_at = warn_at = None
    spans: list[Span] = []
    current = periods[-1].status if periods else "new"
    for period in periods:
        lo = period.start
        if lo > end_of_clock:
            break
        hi = end_of_clock if period.end is None else min(period.end, end_of_clock)
        open_ended = period.end is None or period.end >= end_of_clock
        if period.status in PAUSING or period.status in STOPPING:
            kind = SpanKind.PAUSED if period.status in PAUSING else SpanKind.STOPPED
            spans.append(Span(lo, hi, period.status, kind, 0))
            continue
        running_here = open_ended and met_at is None
        if due_at is None:
            crossing = calendar.add(lo, budget - used)
            if running_here or crossing <= hi:
                due_at = crossing
        if warn_at is None:
            crossing = calendar.add(lo, warn_budget - used)
            if running_here or crossing <= hi:
                warn_at = crossing
        if not detail and due_at is not None and warn_at is not None:
            break  # both instants known: the open time after them only matters for the explanation
        counted = calendar.business_time(lo, hi)
        used += counted
        spans.append(Span(lo, hi, period.status, SpanKind.COUNTED, int(counted.total_seconds())))
    if met_at is not None:
        state = ClockState.MET
        breached = due_at is not None and due_at < met_at
    else:
        if current in PAUSING:
            state = ClockState.PAUSED
        elif current in STOPPING:
            state = ClockState.STOPPED
        else:
            state = ClockState.RUNNING
        breached = due_at is not None and due_at <= now
    return TargetClock(
        metric=metric,
        target_minutes=target_minutes,
        warning_percent=warning_percent,
        state=state,
        due_at=due_at,
        warn_at=warn_at,
        met_at=met_at,
        elapsed=used,
        breached=breached,
        spans=tuple(spans),
    )


def resolution_met_at(periods: Sequence[StatusPeriod]) -> datetime | None:
    """When the case was resolved, while it still is (a reopened case runs again)."""
    if periods and periods[-1].status in STOPPING:
        start = periods[-1].start
        for period in reversed(periods[:-1]):  # resolved then closed: met when it was resolved
            if period.status not in STOPPING:
                break
            start = period.start
        return start
    return None


def case_state(clocks: Sequence[TargetClock], now: datetime) -> SlaState:
    """The one state shown in lists: breached > warning > ok (running) > paused > met; none without targets."""
    if not clocks:
        return SlaState.NONE
    if any(c.breached for c in clocks):
        return SlaState.BREACHED
    running = [c for c in clocks if c.state == ClockState.RUNNING]
    if any(c.warned(now) for c in running):
        return SlaState.WARNING
    if running:
        return SlaState.OK
    if any(c.state == ClockState.PAUSED for c in clocks):
        return SlaState.PAUSED
    return SlaState.MET


def nearest_due(clocks: Sequence[TargetClock]) -> datetime | None:
    """The earliest due time of a running target (for sorting lists by urgency)."""
    dues = [c.due_at for c in clocks if c.state == ClockState.RUNNING and c.due_at is not None]
    return min(dues) if dues else None
