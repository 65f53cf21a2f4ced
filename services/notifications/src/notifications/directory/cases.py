"""What notifications asks the cases service (agents, groups, cases), every call bounded by a time-out.

cases owns the directory. A nameko RpcProxy call waits for its answer forever: while cases is down,
an event handler that needs a group's members would hold its worker slot and its event. Here every
call gives up after `cases_rpc_timeout` seconds with `TransientError`, so the consumer requeues the
event and tries again later (decision 0095; the time-limited call is `chassis.timed_rpc`, decision 0153).
"""

from __future__ import annotations

from typing import Any

from chassis.timed_rpc import TimedRpc
from contracts.cases import AgentRead, AgentRef, CaseRead
from notifications.directory.cache import AgentCache


class CasesDirectory(TimedRpc):
    """A time-bounded view of cases' directory over an RpcProxy (or anything with the same methods).

    `call(method, **kwargs)` (from TimedRpc): TransientError when cases does not answer in time or is
    unknown, DomainError when a rule of cases said no.
    """

    def __init__(self, proxy: Any, *, timeout: float, cache: AgentCache | None = None, cache_ttl: float = 0.0) -> None:
        super().__init__(proxy, timeout=timeout, service="cases")
        self.cache = cache or AgentCache()
        self.cache_ttl = cache_ttl

    def agents(self) -> list[AgentRead]:
        return [AgentRead.model_validate(a) for a in self.call("list_agents")]

    def group_members(self, group_id: int) -> list[AgentRef]:
        """The agents of a group, by id (from a snapshot at most `cache_ttl` seconds old).

        A group the snapshot has no member of (made a moment ago) is asked for afresh.
        """
        found = self.cache.snapshot(self.cache_ttl, self.agents).by_group.get(group_id)
        if found is None and self.cache_ttl > 0:
            found = self.cache.snapshot(self.cache_ttl, self.agents, fresh=True).by_group.get(group_id)
        return list(found or ())

    def agent(self, agent_id: int) -> AgentRef | None:
        """One agent, or None when the directory no longer has them (an unknown id is asked for afresh)."""
        found = self.cache.snapshot(self.cache_ttl, self.agents).by_id.get(agent_id)
        if found is None and self.cache_ttl > 0:
            found = self.cache.snapshot(self.cache_ttl, self.agents, fresh=True).by_id.get(agent_id)
        return found

    def case(self, case_id: int) -> CaseRead:
        return CaseRead.model_validate(self.call("get_case", case_id=case_id))
