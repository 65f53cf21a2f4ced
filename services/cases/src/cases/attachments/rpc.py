"""The nameko entrypoints of attachments."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from cases.attachments import reads as attachments_reads
from cases.attachments import writes as attachments_writes
from cases.common.rpc import RpcBase
from chassis.typed_rpc import typed_rpc
from contracts.bounds import LaxId
from contracts.case_work import AttachmentContent, AttachmentRead
from contracts.cases import Actor


class AttachmentsRpc(RpcBase):
    @typed_rpc
    def add_attachment(
        self,
        *,
        case_id: LaxId,
        filename: Annotated[str, Field(min_length=1, max_length=1000)],
        content_base64: str,
        actor: Actor,
        content_type: str | None = None,
        message_id: LaxId | None = None,
    ) -> AttachmentRead:
        settings = self._settings()
        return attachments_writes.add_attachment(
            runtime=self.runtime,
            store=attachments_writes.blob_store(settings),
            limit=settings.max_attachment_bytes,
            case_id=case_id,
            filename=filename,
            content_type=content_type,
            content_base64=content_base64,
            message_id=message_id,
            actor=actor,
        )

    @typed_rpc
    def list_attachments(self, *, case_id: LaxId) -> list[AttachmentRead]:
        with self._session() as session:
            return attachments_reads.list_attachments(session=session, case_id=case_id)

    @typed_rpc
    def get_attachment(self, *, case_id: LaxId, attachment_id: LaxId) -> AttachmentContent:
        with self._session() as session:
            return attachments_reads.get_attachment(
                session=session,
                store=attachments_writes.blob_store(self._settings()),
                case_id=case_id,
                attachment_id=attachment_id,
            )

    @typed_rpc
    def attachment_limit(self) -> dict[str, Any]:
        """The per-file limit, so an edge can refuse an oversized upload before sending it."""
        return {"max_attachment_bytes": self._settings().max_attachment_bytes}
