"""Rules of time tracking (B7): manual entries, timers, totals. Pure, no I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contracts.errors import InvalidTransition


@dataclass(frozen=True)
class Entry:
    agent_id: int
    minutes: int
    billable: bool
    running: bool = False


def check_start(*, running_elsewhere: bool) -> None:
    """One timer per agent at a time: an agent works on one case at once."""
    if running_elsewhere:
        raise InvalidTransition(message="you already have a running timer; stop it first", details={"timer": "running"})


def check_stop(*, has_running: bool) -> None:
    if not has_running:
        raise InvalidTransition(message="no running timer on this case", details={"timer": "stopped"})


def elapsed_minutes(*, started_at: datetime, ended_at: datetime) -> int:
    """Whole minutes, rounded up, at least one: a started timer always records some time."""
    seconds = max((ended_at - started_at).total_seconds(), 0.0)
    return max(1, math.ceil(seconds / 60))


def totals(entries: Iterable[Entry]) -> tuple[int, int, dict[int, tuple[int, int]]]:
    """(minutes, billable minutes, {agent: (minutes, billable)}) over finished entries."""
    minutes = billable = 0
    by_agent: dict[int, tuple[int, int]] = {}
    for e in entries:
        if e.running:
            continue
        bill = e.minutes if e.billable else 0
        minutes += e.minutes
        billable += bill
        m, b = by_agent.get(e.agent_id, (0, 0))
        by_agent[e.agent_id] = (m + e.minutes, b + bill)
    return minutes, billable, by_agent
