"""Reads of attachments: a case's list, one file's bytes."""

from __future__ import annotations

import base64

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.attachments.tables import CaseAttachment
from cases.common import repo
from chassis.blobstore import BlobNotFound, BlobStore
from contracts.case_work import AttachmentContent, AttachmentRead
from contracts.errors import NotFound


def attachment_read(row: CaseAttachment) -> AttachmentRead:
    return AttachmentRead.model_validate(row, from_attributes=True)


def list_attachments(*, session: Session, case_id: int) -> list[AttachmentRead]:
    repo.require_case(session, case_id)
    rows = session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case_id).order_by(CaseAttachment.id))
    return [attachment_read(r) for r in rows]


def get_attachment(*, session: Session, store: BlobStore, case_id: int, attachment_id: int) -> AttachmentContent:
    """The attachment with its bytes (base64), only through the case it belongs to."""
    row = session.get(CaseAttachment, attachment_id)
    if row is None or row.case_id != case_id:
        raise NotFound(message=f"attachment {attachment_id} not found", details={"attachment_id": attachment_id})
    try:
        data = store.get(row.sha256)
    except BlobNotFound:
        raise NotFound(message="the file of this attachment is missing", details={"sha256": row.sha256}) from None
    return AttachmentContent(attachment=attachment_read(row), content_base64=base64.b64encode(data).decode())
