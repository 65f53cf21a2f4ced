"""The nameko entrypoints of department forms: definitions, the portal's published forms, and submissions."""

from __future__ import annotations

from nameko.events import event_handler
from sqlalchemy.orm import Session

from cases.attachments.writes import blob_store
from cases.common.rpc import RpcBase
from cases.forms import reads as form_reads
from cases.forms import writes as form_writes
from chassis.nameko_runtime import idempotent
from chassis.typed_rpc import typed_rpc
from contracts.bounds import LaxId
from contracts.envelope import Envelope
from contracts.forms import FormPatch, FormRead, FormWrite
from contracts.portal import FormSubmitted


class FormsRpc(RpcBase):
    @typed_rpc
    def list_forms(self) -> list[FormRead]:
        with self._read_session() as session:
            return form_reads.list_forms(session=session)

    @typed_rpc
    def get_form(self, *, form_id: LaxId) -> FormRead:
        with self._read_session() as session:
            return form_reads.get_form(session=session, form_id=form_id)

    @typed_rpc
    def save_form(
        self, *, data: FormWrite, form_id: LaxId | None = None, expected_version: int | None = None
    ) -> FormRead:
        return form_writes.save_form(
            runtime=self.runtime, data=data, form_id=form_id, expected_version=expected_version
        )

    @typed_rpc
    def change_form(self, *, form_id: LaxId, changes: FormPatch, expected_version: int | None = None) -> FormRead:
        return form_writes.change_form(
            runtime=self.runtime, form_id=form_id, changes=changes, expected_version=expected_version
        )

    @typed_rpc
    def delete_form(self, *, form_id: LaxId) -> None:
        form_writes.delete_form(runtime=self.runtime, form_id=form_id)

    @typed_rpc
    def list_published_forms(self) -> list[FormRead]:
        with self._read_session() as session:
            return form_reads.list_forms(session=session, published_only=True)

    @typed_rpc
    def get_published_form(self, *, form_id: LaxId) -> FormRead:
        with self._read_session() as session:
            return form_reads.get_form(session=session, form_id=form_id, published_only=True)

    # the portal sends a submission through its outbox, so a cases outage loses none (decision 0258)
    @event_handler("portal", "form_submitted", requeue_on_error=True)
    @idempotent
    def on_form_submitted(self, session: Session, envelope: Envelope) -> None:
        form_writes.apply_form_submitted(
            runtime=self.runtime,
            session=session,
            payload=envelope.open(FormSubmitted),
            store=blob_store(self._settings()),
            correlation_id=envelope.correlation_id or envelope.event_id,
        )
