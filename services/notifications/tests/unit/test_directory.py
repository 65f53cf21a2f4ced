"""Calls to cases from notifications give up in time (decision 0095), without a broker: a fake proxy."""

from __future__ import annotations

import time
from typing import Any

import eventlet
import pytest
from nameko.exceptions import RemoteError, UnknownService

from chassis.consumer import TransientError
from contracts.errors import DomainError
from notifications.directory.cases import CasesDirectory


class _Proxy:
    def __init__(self, answer: Any = None, delay: float = 0.0, error: Exception | None = None) -> None:
        self.answer, self.delay, self.error = answer, delay, error

    def list_agents(self, **_kwargs: Any) -> Any:
        eventlet.sleep(self.delay)  # what a green RPC wait does: yield to the hub
        if self.error is not None:
            raise self.error
        return self.answer

    get_case = list_agents


AGENTS = [
    {"id": 3, "email": "c@x.example", "name": "C", "group_ids": [7]},
    {"id": 1, "email": "a@x.example", "name": "A", "group_ids": [7, 8]},
    {"id": 2, "email": "b@x.example", "name": "B", "group_ids": [8]},
]


def test_a_silent_cases_becomes_a_transient_error_after_the_time_out() -> None:
    directory = CasesDirectory(_Proxy(AGENTS, delay=5), timeout=0.2)
    started = time.monotonic()
    with pytest.raises(TransientError, match="did not answer"):
        directory.group_members(7)
    assert time.monotonic() - started < 1.0


def test_members_of_a_group_and_one_agent() -> None:
    directory = CasesDirectory(_Proxy(AGENTS), timeout=1)
    assert [a.id for a in directory.group_members(7)] == [1, 3]
    agent = directory.agent(2)
    assert agent is not None and agent.email == "b@x.example"
    assert directory.agent(99) is None


def test_remote_failures_are_transient_unless_a_rule_said_no() -> None:
    with pytest.raises(TransientError, match="not running"):
        CasesDirectory(_Proxy(error=UnknownService("cases")), timeout=1).agents()
    down = RemoteError("OperationalError", "connection refused")
    with pytest.raises(TransientError, match="OperationalError"):
        CasesDirectory(_Proxy(error=down), timeout=1).agents()
    missing = RemoteError("NotFound", "('not_found', 'case 5 not found', None)")
    with pytest.raises(DomainError) as err:
        CasesDirectory(_Proxy(error=missing), timeout=1).case(5)
    assert err.value.code == "not_found"
