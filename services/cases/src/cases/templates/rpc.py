"""The nameko entrypoints of templates, canned replies, recurring cases and signatures, and the recurrence timer."""

from __future__ import annotations

from typing import Any

from nameko.timer import timer

from cases.common.rpc import RpcBase, parse_as
from cases.settings import CasesSettings
from cases.templates import reads as templates_reads
from cases.templates import reads_signatures as signatures_reads
from cases.templates import writes as templates_writes
from cases.templates import writes_signatures as signatures_writes
from chassis.typed_rpc import typed_rpc
from contracts import case_work as cw
from contracts.bounds import LaxId
from contracts.case_work import CannedReplyRead, RecurrenceRead, ResolvedSignature, SignatureRead, TemplateRead
from contracts.cases import Actor, CaseRead

# how often recurring cases are looked for (nameko fixes a timer's interval at import)
_RECURRENCE_INTERVAL = CasesSettings().recurrence_interval_seconds


class TemplatesRpc(RpcBase):
    @typed_rpc
    def create_template(self, *, data: cw.TemplateFields) -> TemplateRead:
        return templates_writes.create_template(runtime=self.runtime, data=data)

    @typed_rpc
    def update_template(self, *, template_id: LaxId, data: cw.TemplateFields) -> TemplateRead:
        return templates_writes.update_template(runtime=self.runtime, template_id=template_id, data=data)

    @typed_rpc
    def list_templates(self) -> list[TemplateRead]:
        with self._session() as session:
            return templates_reads.list_templates(session=session)

    @typed_rpc
    def template_of_case(self, *, case_id: LaxId) -> TemplateRead | None:
        with self._session() as session:
            found = templates_reads.template_of_case(session=session, case_id=case_id)
            return found if found else None

    @typed_rpc
    def template_from_case(self, *, case_id: LaxId, data: cw.TemplateFromCase) -> TemplateRead:
        return templates_writes.template_from_case(runtime=self.runtime, case_id=case_id, data=data)

    @typed_rpc
    def case_from_template(self, *, template_id: LaxId, data: Any, actor: Actor) -> CaseRead:
        return templates_writes.case_from_template(
            runtime=self.runtime,
            template_id=template_id,
            data=parse_as(cw.CaseFromTemplate, data or {}, "data"),
            actor=actor,
        )

    @typed_rpc
    def create_canned_reply(self, *, data: cw.CannedReplyCreate) -> CannedReplyRead:
        return templates_writes.create_canned_reply(runtime=self.runtime, data=data)

    @typed_rpc
    def list_canned_replies(self) -> list[CannedReplyRead]:
        with self._session() as session:
            return templates_reads.list_canned_replies(session=session)

    @typed_rpc
    def delete_canned_reply(self, *, reply_id: LaxId) -> None:
        templates_writes.delete_canned_reply(runtime=self.runtime, reply_id=reply_id)

    @typed_rpc
    def create_recurrence(self, *, data: cw.RecurrenceCreate) -> RecurrenceRead:
        return templates_writes.create_recurrence(runtime=self.runtime, data=data)

    @typed_rpc
    def update_recurrence(self, *, recurrence_id: LaxId, changes: cw.RecurrenceUpdate) -> RecurrenceRead:
        return templates_writes.set_recurrence_active(
            runtime=self.runtime, recurrence_id=recurrence_id, active=changes.active
        )

    @typed_rpc
    def list_recurrences(self) -> list[RecurrenceRead]:
        with self._session() as session:
            return templates_reads.list_recurrences(session=session)

    @timer(interval=_RECURRENCE_INTERVAL)
    def run_recurrences(self) -> None:
        """Create the cases of due recurrence slots (every worker runs this; slots are claimed, never doubled)."""
        templates_writes.run_due_recurrences(runtime=self.runtime)

    @typed_rpc
    def set_signature(self, *, data: cw.SignatureSet) -> SignatureRead:
        return signatures_writes.set_signature(runtime=self.runtime, data=data)

    @typed_rpc
    def list_signatures(self) -> list[SignatureRead]:
        with self._session() as session:
            return signatures_reads.list_signatures(session=session)

    @typed_rpc
    def resolve_signature(self, *, agent_id: LaxId, mailbox: str | None = None) -> ResolvedSignature:
        """Notifications: the greeting and signature of `agent_id` writing from `mailbox`."""
        with self._session() as session:
            return signatures_reads.resolve_signature(session=session, agent_id=agent_id, mailbox=mailbox)
