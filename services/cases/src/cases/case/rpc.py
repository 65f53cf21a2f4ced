"""The nameko entrypoints of the case: create, read, update, the conversation, the portal's view, history."""

from __future__ import annotations

from typing import Annotated, Any

from nameko.timer import timer
from pydantic import Field

from cases.case import reads as case_reads
from cases.case import writes as case_writes
from cases.case import writes_automation as case_rules
from cases.case import writes_forward as forwards
from cases.common.rpc import PageLimit, RpcBase, parse_as
from cases.settings import CasesSettings
from chassis.typed_rpc import typed_rpc
from contracts import case_work as cw
from contracts.bounds import LaxId
from contracts.case_config import HistoryEntry
from contracts.cases import Actor, CaseCreate, CaseFilter, CaseRead, CaseUpdate, MessageCreate, MessageRead, Visibility
from contracts.forms import CaseDetail
from contracts.search import Viewer

# how often dormant cases are woken (B2; nameko fixes a timer's interval at import)
_DORMANT_INTERVAL = CasesSettings().dormant_check_seconds


class CaseRpc(RpcBase):
    @typed_rpc
    def create_case(self, *, data: CaseCreate, actor: Actor, idempotency_key: str | None = None) -> CaseRead:
        return case_writes.create_case(runtime=self.runtime, data=data, actor=actor, idempotency_key=idempotency_key)

    @typed_rpc
    def get_case(self, *, case_id: LaxId, viewer: Viewer | None = None) -> CaseDetail:
        with self._read_session() as session:
            return case_reads.get_case(session=session, case_id=case_id, viewer=viewer)

    @typed_rpc
    def list_cases(self, *, filters: Any = None, viewer: Viewer | None = None) -> Any:
        with self._read_session() as session:
            return case_reads.list_cases(
                session=session, filters=parse_as(CaseFilter, filters or {}, "filters"), viewer=viewer
            )

    @typed_rpc
    def update_case(
        self, *, case_id: LaxId, changes: CaseUpdate, expected_version: int | None = None, actor: Actor
    ) -> CaseRead:
        return case_writes.update_case(
            runtime=self.runtime, case_id=case_id, changes=changes, expected_version=expected_version, actor=actor
        )

    @typed_rpc
    def add_message(self, *, case_id: LaxId, data: MessageCreate, actor: Actor) -> MessageRead:
        return case_writes.add_message(runtime=self.runtime, case_id=case_id, data=data, actor=actor)

    @typed_rpc
    def list_messages(
        self, *, case_id: LaxId, visibility: Visibility | None = None, viewer: Viewer | None = None
    ) -> list[MessageRead]:
        with self._read_session() as session:
            return case_reads.list_messages(session=session, case_id=case_id, visibility=visibility, viewer=viewer)

    @typed_rpc
    def list_cases_for_contact(
        self,
        *,
        contact_id: LaxId,
        cursor: str | None = None,
        limit: PageLimit = 25,
        q: Annotated[str, Field(max_length=200)] | None = None,
        closed: bool | None = None,
        organisation: bool = False,
    ) -> Any:
        with self._read_session() as session:
            return case_reads.list_cases_for_contact(
                session=session,
                contact_id=contact_id,
                cursor=cursor,
                limit=limit,
                q=q,
                closed=closed,
                organisation=organisation,
            )

    @typed_rpc
    def get_case_for_contact(self, *, case_id: LaxId, contact_id: LaxId) -> dict[str, Any]:
        with self._session() as session:
            return case_reads.get_case_for_contact(session=session, case_id=case_id, contact_id=contact_id)

    @typed_rpc
    def add_contact_message(self, *, case_id: LaxId, contact_id: LaxId, body: Any) -> MessageRead:
        return case_writes.add_contact_message(
            runtime=self.runtime,
            case_id=case_id,
            contact_id=contact_id,
            body=parse_as(MessageCreate, {"body": body}, "body").body,
        )

    @typed_rpc
    def forward_case(self, *, case_id: LaxId, data: cw.ForwardCreate, actor: Actor) -> MessageRead:
        return forwards.forward_case(runtime=self.runtime, case_id=case_id, data=data, actor=actor)

    @typed_rpc
    def get_case_history(self, *, case_id: LaxId) -> list[HistoryEntry]:
        with self._session() as session:
            return case_reads.list_history(session=session, case_id=case_id)

    @timer(interval=_DORMANT_INTERVAL)
    def wake_dormant_cases(self) -> None:
        case_rules.wake_dormant_cases(runtime=self.runtime)
