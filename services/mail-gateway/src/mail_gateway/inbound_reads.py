"""Reads of the inbound mail audit: the page of stored mails, one raw `.eml`, one attachment's bytes."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from chassis.blobstore import BlobNotFound, BlobStore
from chassis.nameko_runtime import Runtime
from contracts.errors import NotFound, ValidationFailed
from contracts.mail_gateway import (
    InboundMailFilter,
    InboundMailPage,
    InboundMailRead,
    MailAttachmentContent,
    RawMail,
)
from mail_gateway.db.models import (
    InboundAttachment,
    InboundMail,
    Mailbox,
)


def list_inbound_mail(*, runtime: Runtime, filters: InboundMailFilter) -> InboundMailPage:
    """Inbound mail, newest first, for the audit view."""
    query = select(InboundMail).join(Mailbox).order_by(InboundMail.id.desc()).limit(filters.limit + 1)
    conditions: list[Any] = []
    if filters.mailbox:
        conditions.append(Mailbox.address == filters.mailbox.lower())
    if filters.status:
        conditions.append(InboundMail.status == filters.status.value)
    if filters.kind:
        conditions.append(InboundMail.kind == filters.kind.value)
    if filters.case_id is not None:
        # the case cases confirmed, else the one threading pointed at (an auto-reply kept on a case)
        confirmed = InboundMail.case_id == filters.case_id
        pointed = and_(InboundMail.case_id.is_(None), InboundMail.thread_case_id == filters.case_id)
        conditions.append(or_(confirmed, pointed))
    if filters.message_id:
        conditions.append(InboundMail.message_id == filters.message_id.strip("<>"))
    if filters.before_id is not None:
        conditions.append(InboundMail.id < filters.before_id)
    with runtime.session_factory() as session:
        rows = session.scalars(query.where(*conditions)).all()
    items = [_read(row) for row in rows[: filters.limit]]
    return InboundMailPage(items=items, next_before_id=items[-1].id if len(rows) > filters.limit else None)


def get_raw_mail(*, runtime: Runtime, blobs: BlobStore, inbound_mail_id: int) -> RawMail:
    """The exact bytes we received, for the audit view's raw link."""
    with runtime.session_factory() as session:
        sha256 = session.scalar(select(InboundMail.raw_sha256).where(InboundMail.id == inbound_mail_id))
    if sha256 is None:
        raise NotFound(message=f"no inbound mail {inbound_mail_id}", details={"inbound_mail_id": inbound_mail_id})
    try:
        raw = blobs.get(sha256)
    except BlobNotFound:
        raise NotFound(message=f"the raw bytes of inbound mail {inbound_mail_id} are missing") from None
    return RawMail(id=inbound_mail_id, raw_sha256=sha256, raw_base64=base64.b64encode(raw).decode("ascii"))


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def get_attachment(*, runtime: Runtime, blobs: BlobStore, sha256: str) -> MailAttachmentContent:
    """The bytes of an attachment of a stored inbound mail; never any other blob (raw mail, say)."""
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
        raise ValidationFailed(message="sha256 must be 64 lowercase hex characters", details={"sha256": "invalid"})
    with runtime.session_factory() as session:
        listed = session.scalar(select(InboundAttachment.sha256).where(InboundAttachment.sha256 == sha256).limit(1))
    if listed is None:
        raise NotFound(message="no inbound mail attachment with that sha256", details={"sha256": sha256})
    try:
        content = blobs.get(sha256)
    except BlobNotFound:
        raise NotFound(message="the attachment's bytes are missing", details={"sha256": sha256}) from None
    return MailAttachmentContent(sha256=sha256, content_base64=base64.b64encode(content).decode("ascii"))


def _read(row: InboundMail) -> InboundMailRead:
    received_at: datetime = row.received_at
    return InboundMailRead(
        id=row.id,
        mailbox=row.mailbox.address,
        source=row.source,
        mail_from=row.mail_from,
        message_id=row.message_id,
        from_email=row.from_email,
        subject=row.subject,
        raw_sha256=row.raw_sha256,
        raw_size=row.raw_size,
        status=row.status,
        failure_reason=row.failure_reason,
        kind=row.kind,
        kind_reason=row.kind_reason,
        thread_case_id=row.thread_case_id,
        thread_reason=row.thread_reason,
        case_id=row.case_id,
        attachments=row.attachments,
        defects=row.defects,
        received_at=received_at,
        processed_at=row.processed_at,
    )
