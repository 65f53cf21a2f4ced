"""The SLA clock of a case (B13): pauses, resolution and reopening, priority changes, policy matching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cases.sla.rules import Criteria, best
from cases.sla.rules_calendar import BusinessCalendar
from cases.sla.rules_clock import (
    ClockState,
    SpanKind,
    StatusPeriod,
    TargetClock,
    case_state,
    evaluate,
    nearest_due,
    resolution_met_at,
    status_periods,
)
from contracts.sla import SlaMetric, SlaState

OFFICE = BusinessCalendar.build(
    timezone="UTC", hours={d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
)
MON = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def _periods(*changes: tuple[float, str], now: datetime, current: str | None = None) -> list[StatusPeriod]:
    steps = [(MON + _h(h), s) for h, s in changes]
    return status_periods(
        created_at=MON, initial="new", changes=steps, current=current or (steps[-1][1] if steps else "new"), now=now
    )


def _clock(
    periods: list[StatusPeriod],
    now: datetime,
    minutes: int = 240,
    met_at: datetime | None = None,
    percent: int = 80,
    calendar: BusinessCalendar = OFFICE,
) -> TargetClock:
    return evaluate(
        metric=SlaMetric.RESOLUTION,
        target_minutes=minutes,
        warning_percent=percent,
        calendar=calendar,
        periods=periods,
        met_at=met_at,
        now=now,
    )


def test_running_clock_is_due_after_the_target_in_business_hours() -> None:
    now = MON + _h(1)
    clock = _clock(_periods((0.5, "open"), now=now), now)
    assert clock.state == ClockState.RUNNING and not clock.breached
    assert clock.due_at == MON + _h(4) and clock.warn_at == MON + _h(3.2)
    assert clock.elapsed == _h(1)
    assert case_state([clock], now) == SlaState.OK and nearest_due([clock]) == MON + _h(4)


def test_warning_then_breach_as_time_passes() -> None:
    periods = _periods((0.1, "open"), now=MON)
    assert case_state([_clock(periods, MON + _h(3.5))], MON + _h(3.5)) == SlaState.WARNING
    late = _clock(periods, MON + _h(4))
    assert late.breached and case_state([late], MON + _h(4)) == SlaState.BREACHED


def test_waiting_pauses_the_clock_and_resuming_moves_the_due_time() -> None:
    # open 1 h, waiting on the contact 3 h (paused), open again
    now = MON + _h(5)
    periods = _periods((0, "open"), (1, "waiting"), (4, "open"), now=now)
    clock = _clock(periods, now)
    assert clock.state == ClockState.RUNNING
    assert clock.elapsed == _h(2)  # 09-10 and 13-14
    assert clock.due_at == MON + _h(4 + 3)  # 3 h left when it resumed at 13:00
    kinds = [(s.status, s.kind, s.business_seconds) for s in clock.spans]
    assert ("waiting", SpanKind.PAUSED, 0) in kinds and sum(s.business_seconds for s in clock.spans) == 7200
    paused = _clock(_periods((0, "open"), (1, "dormant"), now=now), now)
    assert paused.state == ClockState.PAUSED and paused.due_at is None and not paused.breached
    assert case_state([paused], now) == SlaState.PAUSED and nearest_due([paused]) is None


def test_pause_across_a_weekend_and_night() -> None:
    # Friday 15:00 opened, at 15:30 waiting until Monday 10:00: half an hour used, 3.5 h from Monday 10:00
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    periods = status_periods(
        created_at=friday,
        initial="new",
        changes=[(friday + _h(0.5), "waiting"), (MON + _h(1), "open")],
        current="open",
        now=MON + _h(1),
    )
    clock = _clock(periods, MON + _h(1))
    assert clock.elapsed == _h(0.5) and clock.due_at == MON + _h(1 + 3.5)


def test_a_breach_while_paused_stays_breached() -> None:
    now = MON + _h(8)
    periods = _periods((0, "open"), (5, "waiting"), now=now)  # ran 5 h: past the 4 h target, then paused
    clock = _clock(periods, now, minutes=240)
    assert clock.state == ClockState.PAUSED and clock.breached and clock.due_at == MON + _h(4)


def test_resolution_is_met_when_resolved_and_reopening_resumes() -> None:
    now = MON + _h(3)
    periods = _periods((0, "open"), (1, "resolved"), (1.5, "closed"), now=now)
    met = resolution_met_at(periods)
    assert met == MON + _h(1)
    clock = _clock(periods, now, met_at=met)
    assert clock.state == ClockState.MET and not clock.breached and clock.due_at is None
    assert case_state([clock], now) == SlaState.MET
    reopened = _periods((0, "open"), (1, "resolved"), (2, "open"), now=now)
    assert resolution_met_at(reopened) is None
    again = _clock(reopened, now)
    assert again.state == ClockState.RUNNING and again.elapsed == _h(2) and again.due_at == MON + _h(5)


def test_met_late_is_breached() -> None:
    now = MON + _h(6)
    periods = _periods((0, "open"), (5, "resolved"), now=now)
    clock = _clock(periods, now, met_at=resolution_met_at(periods))
    assert clock.state == ClockState.MET and clock.breached and clock.due_at == MON + _h(4)
    assert case_state([clock], now) == SlaState.BREACHED


def test_first_response_stops_when_resolved_without_a_reply() -> None:
    now = MON + _h(2)
    periods = _periods((1, "resolved"), now=now)
    clock = evaluate(
        metric=SlaMetric.FIRST_RESPONSE,
        target_minutes=120,
        warning_percent=80,
        calendar=OFFICE,
        periods=periods,
        met_at=None,
        now=now,
    )
    assert clock.state == ClockState.STOPPED and clock.due_at is None and not clock.breached


def test_a_priority_change_means_a_new_target_on_the_same_periods() -> None:
    # the policy of the new priority has a shorter target: the due time is recomputed from creation
    now = MON + _h(2)
    periods = _periods((0, "open"), now=now)
    normal, urgent = _clock(periods, now, minutes=480), _clock(periods, now, minutes=60)
    assert normal.due_at == MON + _h(24) and not normal.breached  # 7 h on Monday, the eighth on Tuesday
    assert urgent.due_at == MON + _h(1) and urgent.breached
    assert nearest_due([normal, urgent]) == MON + _h(1)


def test_status_change_not_yet_in_history_happens_now() -> None:
    now = MON + _h(2)
    periods = status_periods(created_at=MON, initial="new", changes=[(MON + _h(1), "open")], current="waiting", now=now)
    assert [(p.status, p.start, p.end) for p in periods] == [
        ("new", MON, MON + _h(1)),
        ("open", MON + _h(1), now),
        ("waiting", now, None),
    ]


def test_dst_change_on_a_24_7_calendar_counts_real_time() -> None:
    oslo = BusinessCalendar.build(
        timezone="Europe/Oslo",
        hours={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    )
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    periods = status_periods(created_at=start, initial="new", changes=[], current="new", now=start)
    clock = evaluate(
        metric=SlaMetric.FIRST_RESPONSE,
        target_minutes=24 * 60,
        warning_percent=50,
        calendar=oslo,
        periods=periods,
        met_at=None,
        now=start,
    )
    assert clock.due_at == start + _h(24) and clock.warn_at == start + _h(12)


def test_policy_matching_most_specific_wins() -> None:
    any_ = (1, Criteria(None, None, None), "default")
    urgent = (2, Criteria("urgent", None, None), "urgent")
    faults = (3, Criteria(None, 7, None), "faults")
    support = (4, Criteria(None, None, 5), "support")
    support_urgent = (5, Criteria("urgent", None, 5), "support-urgent")
    rules = [any_, urgent, faults, support, support_urgent]
    assert best(rules, Criteria("normal", None, None)) == "default"
    assert best(rules, Criteria("urgent", None, None)) == "urgent"
    assert best(rules, Criteria("urgent", 7, None)) == "faults"  # type beats priority
    assert best(rules, Criteria("normal", 7, 5)) == "support"  # group beats type
    assert best(rules, Criteria("urgent", 7, 5)) == "support-urgent"  # two criteria beat one
    assert best([urgent], Criteria("low", None, None)) is None
    assert best([(9, Criteria(None, None, None), "newer"), any_], Criteria("low", None, None)) == "default"


def test_the_quick_walk_finds_the_same_instants_as_the_detailed_one() -> None:
    # the stored targets are computed without the detail; the explanation with it
    now = MON + _h(30)
    scenarios = [
        _periods((0, "open"), now=now),
        _periods((0, "open"), (1, "waiting"), (4, "open"), now=now),
        _periods((0, "open"), (5, "waiting"), now=now),
        _periods((0, "open"), (1, "resolved"), (2, "open"), now=now),
    ]
    for periods in scenarios:
        for minutes in (30, 240, 2400):
            full = _clock(periods, now, minutes=minutes)
            quick = evaluate(
                metric=SlaMetric.RESOLUTION,
                target_minutes=minutes,
                warning_percent=80,
                calendar=OFFICE,
                periods=periods,
                met_at=None,
                now=now,
                detail=False,
            )
            assert (quick.due_at, quick.warn_at, quick.state, quick.breached) == (
                full.due_at,
                full.warn_at,
                full.state,
                full.breached,
            )
