"""Files a new message carries (decision 0102): uploaded to the case first, then named by id.

A file can belong to one message only, and only to a message of its own case; the message lists them
(`MessageRead.attachments`, with their `attachment_id`), so `message_added` tells notifications what to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.attachments.tables import CaseAttachment
from contracts.cases import AttachmentRef
from contracts.errors import NotFound, ValidationFailed


def claim(session: Session, *, case_id: int, attachment_ids: Sequence[int]) -> list[CaseAttachment]:
    """The case's still unattached files named by `attachment_ids`, locked, in the order given."""
    if not attachment_ids:
        return []
    if len(set(attachment_ids)) != len(attachment_ids):
        raise ValidationFailed(message="an attachment is named twice", details={"field": "attachment_ids"})
    rows = {
        row.id: row
        for row in session.scalars(
            select(CaseAttachment).where(CaseAttachment.id.in_(list(attachment_ids))).with_for_update()
        )
    }
    claimed = []
    for attachment_id in attachment_ids:
        row = rows.get(attachment_id)
        if row is None or row.case_id != case_id:
            # another case's file is reported exactly like one that does not exist
            raise NotFound(message=f"attachment {attachment_id} not found", details={"attachment_id": attachment_id})
        if row.message_id is not None:
            raise ValidationFailed(
                message=f"attachment {attachment_id} already belongs to message {row.message_id}",
                details={"field": "attachment_ids", "attachment_id": attachment_id},
            )
        claimed.append(row)
    return claimed


def refs(rows: Sequence[CaseAttachment]) -> list[dict[str, Any]]:
    """What the message stores and its events carry."""
    return [
        AttachmentRef(
            filename=row.filename, content_type=row.content_type, size=row.size, sha256=row.sha256, attachment_id=row.id
        ).model_dump(mode="json")
        for row in rows
    ]


def bind(rows: Sequence[CaseAttachment], *, message_id: int) -> None:
    for row in rows:
        row.message_id = message_id
