"""The agent directory from cases is reused for a short time, indexed by group and id (decision 0107)."""

from __future__ import annotations

from typing import Any

from notifications.directory.cache import AgentCache
from notifications.directory.cases import CasesDirectory


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Proxy:
    def __init__(self, agents: list[dict[str, Any]]) -> None:
        self.agents, self.calls = agents, 0

    def list_agents(self) -> list[dict[str, Any]]:
        self.calls += 1
        return [dict(a) for a in self.agents]


def _agent(agent_id: int, *groups: int) -> dict[str, Any]:
    return {"id": agent_id, "email": f"a{agent_id}@x.example", "name": f"A{agent_id}", "group_ids": list(groups)}


def _directory(proxy: _Proxy, clock: _Clock, ttl: float = 10) -> CasesDirectory:
    return CasesDirectory(proxy, timeout=1, cache=AgentCache(clock), cache_ttl=ttl)


def test_within_the_ttl_one_call_answers_every_group_and_agent() -> None:
    proxy, clock = _Proxy([_agent(3, 7), _agent(1, 7, 8), _agent(2, 8)]), _Clock()
    directory = _directory(proxy, clock)
    assert [a.id for a in directory.group_members(7)] == [1, 3]
    assert [a.id for a in directory.group_members(8)] == [1, 2]
    found = directory.agent(2)
    assert found is not None and found.email == "a2@x.example"
    assert proxy.calls == 1


def test_after_the_ttl_a_changed_membership_is_seen() -> None:
    proxy, clock = _Proxy([_agent(1, 7)]), _Clock()
    directory = _directory(proxy, clock)
    assert [a.id for a in directory.group_members(7)] == [1]
    proxy.agents = [_agent(1), _agent(2, 7)]  # 1 left the group, 2 joined
    clock.now += 9.9
    assert [a.id for a in directory.group_members(7)] == [1]  # still the snapshot
    clock.now += 0.1
    assert [a.id for a in directory.group_members(7)] == [2]
    assert proxy.calls == 2


def test_an_agent_the_snapshot_does_not_know_is_asked_for_afresh() -> None:
    proxy, clock = _Proxy([_agent(1)]), _Clock()
    directory = _directory(proxy, clock)
    assert directory.agent(1) is not None
    proxy.agents.append(_agent(5))  # created a moment ago
    found = directory.agent(5)
    assert found is not None and found.id == 5 and proxy.calls == 2
    assert directory.agent(99) is None  # unknown even afresh
    assert proxy.calls == 3


def test_ttl_zero_asks_every_time() -> None:
    proxy, clock = _Proxy([_agent(1, 7)]), _Clock()
    directory = _directory(proxy, clock, ttl=0)
    directory.group_members(7)
    directory.group_members(7)
    assert directory.agent(1) is not None
    assert proxy.calls == 3


def test_the_callers_list_is_theirs_to_change() -> None:
    proxy, clock = _Proxy([_agent(1, 7), _agent(2, 7)]), _Clock()
    directory = _directory(proxy, clock)
    directory.group_members(7).clear()
    assert len(directory.group_members(7)) == 2


def test_a_group_the_snapshot_has_no_member_of_is_asked_for_afresh() -> None:
    proxy, clock = _Proxy([_agent(1, 7)]), _Clock()
    directory = _directory(proxy, clock)
    assert [a.id for a in directory.group_members(7)] == [1]
    proxy.agents += [_agent(2, 9), _agent(3, 9)]  # a group made a moment ago, with its members
    assert [a.id for a in directory.group_members(9)] == [2, 3]
    assert proxy.calls == 2
    assert directory.group_members(10) == []  # no members even afresh
    assert proxy.calls == 3
