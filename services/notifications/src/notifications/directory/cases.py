"""What notifications asks the cases service (agents, groups, cases, signatures, files), each call bounded in time.

cases owns the directory. A nameko RpcProxy call waits for its answer forever: while cases is down,
an event handler that needs a group's members would hold its worker slot and its event. Here every
call goes through the typed cases client over `chassis.timed_rpc.TimedRpc` (decisions 0153, 0175) and
gives up after `cases_rpc_timeout` seconds with `TransientError`, so the consumer requeues the event
and tries again later (decision 0095).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chassis.consumer import TransientError
from chassis.timed_rpc import TimedRpc
from contracts.case_work import AttachmentContent, ResolvedSignature
from contracts.cases import AgentRead, AgentRef, CaseRead
from contracts.cases_client import SERVICE, SyncCasesClient
from notifications.directory.cache import AgentCache


class CasesDirectory:
    """A time-bounded view of cases over an RpcProxy (or anything with the same methods).

    Every call: TransientError when cases does not answer in time or is unknown, DomainError when a rule
    of cases said no.
    """

    def __init__(self, proxy: Any, *, timeout: float, cache: AgentCache | None = None, cache_ttl: float = 0.0) -> None:
        self.cases = SyncCasesClient(TimedRpc(proxy, timeout=timeout, service=SERVICE))
        self.cache = cache or AgentCache()
        self.cache_ttl = cache_ttl

    def agents(self) -> list[AgentRead]:
        return self.cases.list_agents()

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
        return self.cases.get_case(case_id=case_id)

    def signature(self, agent_id: int, mailbox: str) -> ResolvedSignature:
        """The greeting and signature of `agent_id` writing from `mailbox`, as cases resolves them."""
        return self.cases.resolve_signature(agent_id=agent_id, mailbox=mailbox)

    def attachment(self, case_id: int, attachment_id: int) -> AttachmentContent:
        """A file of a case with its bytes; an answer without them is a TransientError (try again later)."""
        try:
            return self.cases.get_attachment(case_id=case_id, attachment_id=attachment_id)
        except ValidationError:
            raise TransientError(f"cases.get_attachment({attachment_id}) answered without content") from None
