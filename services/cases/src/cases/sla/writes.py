"""The SLA of cases in the database (B13): apply the policy, keep the per-case targets and
`case.sla_state`/`case.sla_due_at` right in the transaction of each change, explain a case's figures.

`recompute_case` is called for every case whose status, priority, type, group or first response
changed (see `cases.sla.writes_hooks`) and for the cases a policy or calendar change may touch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cases.case.tables import Case, CaseHistory
from cases.sla.rules import Criteria, best
from cases.sla.rules_calendar import BusinessCalendar, CalendarError
from cases.sla.rules_clock import (
    ClockState,
    StatusPeriod,
    TargetClock,
    case_state,
    evaluate,
    nearest_due,
    resolution_met_at,
    status_periods,
)
from cases.sla.tables import BusinessCalendar as CalendarRow
from cases.sla.tables import CaseSlaTarget, SlaPolicy
from chassis.db import utcnow
from contracts import errors
from contracts.cases import Status
from contracts.sla import (
    CaseSla,
    SlaMetric,
    SlaPeriod,
    SlaPeriodKind,
    SlaPolicyRef,
    SlaState,
    SlaTargetRead,
    SlaTargetState,
)

_POLICIES_KEY = "sla_policies"


_CALENDARS: dict[tuple[int, datetime], BusinessCalendar] = {}
_ALWAYS_OPEN = BusinessCalendar.always_open()


def calendar_of(row: CalendarRow | None) -> BusinessCalendar:
    """The domain calendar of a row (cached per row version); without one: around the clock (24/7 UTC)."""
    if row is None:
        return _ALWAYS_OPEN
    key = (row.id, row.updated_at)
    cached = _CALENDARS.get(key)
    if cached is None:
        if len(_CALENDARS) > 256:
            _CALENDARS.clear()
        cached = _CALENDARS[key] = _build_calendar(row)
    return cached


def _build_calendar(row: CalendarRow) -> BusinessCalendar:
    try:
        return BusinessCalendar.build(
            timezone=row.timezone,
            hours=row.hours,
            country=row.country,
            subdivision=row.subdivision,
            closed_dates=[date.fromisoformat(d) for d in row.closed_dates],
        )
    except CalendarError as exc:  # only reachable if a stored row was edited by hand
        raise errors.ValidationFailed(message=f"calendar {row.name!r} is unusable: {exc}") from None


def forget_policies(session: Session) -> None:
    """Drop the session's cached policy list (after a policy or calendar changed)."""
    session.info.pop(_POLICIES_KEY, None)


def _policies(session: Session) -> list[SlaPolicy]:
    cached: list[SlaPolicy] | None = session.info.get(_POLICIES_KEY)
    if cached is None:
        cached = list(session.scalars(select(SlaPolicy).where(SlaPolicy.active).order_by(SlaPolicy.id)))
        session.info[_POLICIES_KEY] = cached
    return cached


def criteria_of(policy: SlaPolicy) -> Criteria:
    return Criteria(policy.priority, policy.type_id, policy.group_id)


def policy_for(session: Session, case: Case) -> SlaPolicy | None:
    """The most specific active policy matching the case (see `cases.sla.matching`)."""
    rules = [(p.id, criteria_of(p), p) for p in _policies(session)]
    return best(rules, Criteria(case.priority, case.type_id, case.group_id))


def status_history(session: Session, case_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The status rows (created_at, old_value, new_value) of each case, oldest first: one query."""
    found: dict[int, list[Any]] = {i: [] for i in case_ids}
    for start in range(0, len(case_ids), 1000):
        rows = session.execute(
            select(CaseHistory.case_id, CaseHistory.created_at, CaseHistory.old_value, CaseHistory.new_value)
            .where(CaseHistory.case_id.in_(case_ids[start : start + 1000]), CaseHistory.field == "status")
            .order_by(CaseHistory.id)
        )
        for row in rows:
            found[row.case_id].append(row)
    return found


def _periods(session: Session, case: Case, now: datetime, history: list[Any] | None = None) -> list[StatusPeriod]:
    rows = list(status_history(session, [case.id])[case.id] if history is None else history)
    # status rows of the flush in progress (their time is set by the hook before it calls us)
    rows += [
        h
        for h in session.new
        if isinstance(h, CaseHistory) and h.case_id == case.id and h.field == "status" and h.created_at is not None
    ]
    initial = rows[0].old_value if rows and rows[0].old_value else (rows[0].new_value if rows else case.status)
    changes = [(r.created_at, r.new_value) for r in rows if r.new_value]
    return status_periods(
        created_at=case.created_at, initial=initial or case.status, changes=changes, current=case.status, now=now
    )


def clocks_for(
    session: Session,
    case: Case,
    policy: SlaPolicy,
    now: datetime,
    *,
    history: list[Any] | None = None,
    detail: bool = True,
) -> list[TargetClock]:
    """The clock of each target `policy` sets, from the case's status periods up to `now`."""
    calendar = calendar_of(policy.calendar)
    periods = _periods(session, case, now, history)
    common: dict[str, Any] = {
        "warning_percent": policy.warning_percent,
        "calendar": calendar,
        "periods": periods,
        "now": now,
        "detail": detail,
    }
    clocks = []
    if policy.first_response_minutes:
        clocks.append(
            evaluate(
                metric=SlaMetric.FIRST_RESPONSE,
                target_minutes=policy.first_response_minutes,
                met_at=case.first_response_at,
                **common,
            )
        )
    if policy.resolution_minutes:
        clocks.append(
            evaluate(
                metric=SlaMetric.RESOLUTION,
                target_minutes=policy.resolution_minutes,
                met_at=resolution_met_at(periods),
                **common,
            )
        )
    return clocks


def recompute_case(
    session: Session,
    case: Case,
    now: datetime | None = None,
    *,
    history: list[Any] | None = None,
    targets: list[CaseSlaTarget] | None = None,
) -> list[TargetClock]:
    """Apply the case's policy now: upsert its target rows and set `sla_state`/`sla_due_at` (no commit).

    `history` (its status rows) and `targets` (its target rows) may be preloaded for many cases at once.
    """
    now = now or utcnow()
    policy = policy_for(session, case)
    if targets is None:
        targets = list(session.scalars(select(CaseSlaTarget).where(CaseSlaTarget.case_id == case.id)))
    existing = {t.metric: t for t in targets}
    clocks = clocks_for(session, case, policy, now, history=history, detail=False) if policy is not None else []
    kept = {c.metric.value for c in clocks}
    for metric, row in existing.items():
        if metric not in kept:
            session.delete(row)
    for clock in clocks:
        row = existing.get(clock.metric.value)
        if row is None:
            row = CaseSlaTarget(case_id=case.id, metric=clock.metric.value, breached=False)
            session.add(row)
        _store(row, clock, policy_id=policy.id if policy else None, now=now)
    state, due = case_state(clocks, now).value, nearest_due(clocks)
    if case.sla_state != state:
        case.sla_state = state
    if case.sla_due_at != due:
        case.sla_due_at = due
    return clocks


def _store(row: CaseSlaTarget, clock: TargetClock, *, policy_id: int | None, now: datetime) -> None:
    row.policy_id = policy_id
    row.target_minutes = clock.target_minutes
    row.state = clock.state.value
    row.due_at, row.warn_at, row.met_at = clock.due_at, clock.warn_at, clock.met_at
    row.breached = clock.breached
    running = clock.state == ClockState.RUNNING
    # an event is still owed for this due time (each fires once per case, metric and due time)
    row.warn_pending_at = clock.warn_at if running and clock.warn_at and row.warned_due_at != clock.due_at else None
    row.breach_pending_at = clock.due_at if running and clock.due_at and row.breached_due_at != clock.due_at else None
    row.updated_at = now


def recompute_cases(session: Session, case_ids: Sequence[int], now: datetime | None = None) -> int:
    """Recompute many cases in the caller's transaction, 500 at a time: each batch is locked in id order
    (the order every change locks a case in) and its history and targets are read in one query each."""
    now = now or utcnow()
    ids = sorted(set(case_ids))
    done = 0
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        cases = session.scalars(select(Case).where(Case.id.in_(batch)).order_by(Case.id).with_for_update(of=Case)).all()
        history = status_history(session, batch)
        targets: dict[int, list[CaseSlaTarget]] = {i: [] for i in batch}
        for row in session.scalars(select(CaseSlaTarget).where(CaseSlaTarget.case_id.in_(batch))):
            targets[row.case_id].append(row)
        with session.no_autoflush:
            for case in cases:
                recompute_case(session, case, now, history=history[case.id], targets=targets[case.id])
                done += 1
        session.flush()
    return done


def state_from_targets(targets: Sequence[CaseSlaTarget], now: datetime) -> SlaState:
    """The case's state from its stored targets as time passes (the timer's view, no history needed)."""
    if not targets:
        return SlaState.NONE
    running = [t for t in targets if t.state == ClockState.RUNNING.value]
    if any(t.breached for t in targets) or any(t.due_at is not None and t.due_at <= now for t in running):
        return SlaState.BREACHED
    if any(t.warn_at is not None and t.warn_at <= now for t in running):
        return SlaState.WARNING
    if running:
        return SlaState.OK
    if any(t.state == ClockState.PAUSED.value for t in targets):
        return SlaState.PAUSED
    return SlaState.MET


def clear_targets(session: Session, case_id: int) -> None:
    session.execute(delete(CaseSlaTarget).where(CaseSlaTarget.case_id == case_id))


# -- explanation ---------------------------------------------------------------------------


def explain(session: Session, case_id: int, now: datetime | None = None) -> CaseSla:
    """The SLA of a case with every figure traceable: per target, the periods that counted and those paused."""
    now = now or utcnow()
    case = session.get(Case, case_id)
    if case is None:
        raise errors.NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
    policy = policy_for(session, case)
    clocks = clocks_for(session, case, policy, now) if policy else []
    sent = {t.metric: t for t in session.scalars(select(CaseSlaTarget).where(CaseSlaTarget.case_id == case.id))}
    calendar_row = policy.calendar if policy else None
    targets = []
    for clock in clocks:
        row = sent.get(clock.metric.value)
        targets.append(
            SlaTargetRead(
                metric=clock.metric,
                target_minutes=clock.target_minutes,
                warning_percent=clock.warning_percent,
                state=SlaTargetState(clock.state.value),
                due_at=clock.due_at,
                warn_at=clock.warn_at,
                met_at=clock.met_at,
                elapsed_minutes=round(clock.elapsed.total_seconds() / 60, 2),
                breached=clock.breached,
                warning_sent=row is not None and row.warned_due_at is not None and row.warned_due_at == clock.due_at,
                breach_sent=row is not None and row.breached_due_at is not None and row.breached_due_at == clock.due_at,
                periods=[
                    SlaPeriod(
                        start=s.start,
                        end=s.end,
                        status=Status(s.status),
                        kind=SlaPeriodKind(s.kind.value),
                        business_minutes=round(s.business_seconds / 60, 2),
                    )
                    for s in clock.spans
                ],
            )
        )
    return CaseSla(
        case_id=case.id,
        state=case_state(clocks, now) if policy else SlaState.NONE,
        due_at=nearest_due(clocks),
        policy=SlaPolicyRef(id=policy.id, name=policy.name) if policy else None,
        calendar=calendar_row.name if calendar_row else "24/7",
        timezone=calendar_row.timezone if calendar_row else "UTC",
        computed_at=now,
        targets=targets,
    )
