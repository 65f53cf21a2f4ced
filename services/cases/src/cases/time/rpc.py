"""The nameko entrypoints of time entries and timers."""

from __future__ import annotations

from cases.common.rpc import RpcBase
from cases.time import reads as time_reads
from cases.time import writes as time_writes
from chassis.typed_rpc import typed_rpc
from contracts import case_work as cw
from contracts.bounds import LaxId
from contracts.case_work import AgentTime, TimeEntryRead, TimeTotals
from contracts.cases import Actor
from contracts.search import Viewer


class TimeRpc(RpcBase):
    @typed_rpc
    def log_time(self, *, case_id: LaxId, data: cw.TimeEntryCreate, actor: Actor) -> TimeEntryRead:
        return time_writes.log_time(runtime=self.runtime, case_id=case_id, data=data, actor=actor)

    @typed_rpc
    def start_timer(self, *, case_id: LaxId, actor: Actor, billable: bool = True) -> TimeEntryRead:
        return time_writes.start_timer(runtime=self.runtime, case_id=case_id, billable=billable, actor=actor)

    @typed_rpc
    def stop_timer(self, *, case_id: LaxId, actor: Actor) -> TimeEntryRead:
        return time_writes.stop_timer(runtime=self.runtime, case_id=case_id, actor=actor)

    @typed_rpc
    def case_time(self, *, case_id: LaxId) -> TimeTotals:
        with self._session() as session:
            return time_reads.case_time(session=session, case_id=case_id)

    @typed_rpc
    def agent_time(self, *, agent_id: LaxId, viewer: Viewer | None = None) -> AgentTime:
        with self._session() as session:
            return time_reads.agent_time(session=session, agent_id=agent_id, viewer=viewer)
