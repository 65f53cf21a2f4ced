"""The agent UI's reference lists kept for a few seconds (decision 0210): pure logic, with a counting stand-in
for the cases service and a clock the test moves."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.reference_cache import ReferenceLists


class Counting:
    """Answers list_groups with a new list each time, counting the calls; `during` runs inside a call."""

    def __init__(self) -> None:
        self.calls = 0
        self.during: Any = None

    async def list_groups(self) -> list[str]:
        self.calls += 1
        if self.during:
            self.during()
        await asyncio.sleep(0)
        return [f"answer {self.calls}"]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _lists(ttl: float = 5.0) -> tuple[ReferenceLists, Counting, Clock]:
    cases, clock = Counting(), Clock()
    return ReferenceLists(cases, ttl=ttl, clock=clock), cases, clock  # type: ignore[arg-type]


def test_a_list_is_read_once_within_the_ttl_and_again_after_it() -> None:
    lists, cases, clock = _lists()
    assert asyncio.run(lists.groups()) == ["answer 1"]
    clock.now += 4.9
    assert asyncio.run(lists.groups()) == ["answer 1"] and cases.calls == 1
    clock.now += 0.2
    assert asyncio.run(lists.groups()) == ["answer 2"] and cases.calls == 2


def test_an_admin_change_made_here_is_seen_on_the_next_read() -> None:
    lists, cases, _clock = _lists()
    asyncio.run(lists.groups())
    lists.forget()
    assert asyncio.run(lists.groups()) == ["answer 2"] and cases.calls == 2


def test_a_read_that_started_before_a_change_is_answered_but_not_kept() -> None:
    lists, cases, _clock = _lists()
    cases.during = lists.forget
    assert asyncio.run(lists.groups()) == ["answer 1"]
    cases.during = None
    assert asyncio.run(lists.groups()) == ["answer 2"] and cases.calls == 2


def test_ttl_zero_always_asks_and_a_negative_one_is_refused() -> None:
    lists, cases, _clock = _lists(ttl=0)
    asyncio.run(lists.groups())
    asyncio.run(lists.groups())
    assert cases.calls == 2
    with pytest.raises(ValueError):
        ReferenceLists(Counting(), ttl=-1)  # type: ignore[arg-type]
