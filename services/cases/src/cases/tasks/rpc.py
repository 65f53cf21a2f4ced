"""The nameko entrypoints of tasks and approvals."""

from __future__ import annotations

from cases.common.rpc import RpcBase
from cases.tasks import reads as tasks_reads
from cases.tasks import writes as tasks_writes
from chassis.typed_rpc import typed_rpc
from contracts import case_work as cw
from contracts.bounds import LaxId
from contracts.case_work import TaskRead
from contracts.cases import Actor


class TasksRpc(RpcBase):
    @typed_rpc
    def add_task(self, *, case_id: LaxId, data: cw.TaskCreate, actor: Actor) -> TaskRead:
        return tasks_writes.add_task(runtime=self.runtime, case_id=case_id, data=data, actor=actor)

    @typed_rpc
    def update_task(self, *, case_id: LaxId, task_id: LaxId, changes: cw.TaskUpdate, actor: Actor) -> TaskRead:
        return tasks_writes.update_task(
            runtime=self.runtime, case_id=case_id, task_id=task_id, changes=changes, actor=actor
        )

    @typed_rpc
    def list_tasks(self, *, case_id: LaxId) -> list[TaskRead]:
        with self._session() as session:
            return tasks_reads.list_tasks(session=session, case_id=case_id)

    @typed_rpc
    def decide_approval(self, *, task_id: LaxId, contact_id: LaxId, decision: cw.ApprovalDecision) -> TaskRead:
        """Portal: the signed-in contact approves or rejects one of their approval tasks."""
        return tasks_writes.decide_approval(
            runtime=self.runtime, task_id=task_id, contact_id=contact_id, decision=decision
        )

    @typed_rpc
    def list_approvals_for_contact(self, *, contact_id: LaxId) -> list[TaskRead]:
        with self._session() as session:
            return tasks_reads.list_approvals_for_contact(session=session, contact_id=contact_id)
