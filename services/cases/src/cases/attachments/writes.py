"""Adding attachments (B6): bytes in the content-addressed blob store, rows in the database."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cases.attachments import rules
from cases.attachments.reads import attachment_read
from cases.attachments.tables import CaseAttachment
from cases.common import repo
from cases.common.case_state import message_on_case, touch
from cases.common.runtime import Runtime
from cases.settings import CasesSettings
from chassis.blobstore import BlobStore
from chassis.db import utcnow
from contracts.case_work import AttachmentAdded, AttachmentRead
from contracts.cases import Actor
from contracts.errors import ValidationFailed


def blob_store(settings: CasesSettings) -> BlobStore:
    """CASES_BLOB_DIR, or `<var>/case-blobs` by default."""
    return BlobStore(Path(settings.blob_dir) if settings.blob_dir else settings.var_dir / "case-blobs")


def decode(content_base64: str, *, limit: int) -> bytes:
    """The uploaded bytes; the size is checked on the base64 length first so a huge payload is never decoded."""
    if len(content_base64) > (limit + 2) // 3 * 4 + 4:
        rules.check_size(size=len(content_base64) * 3 // 4, limit=limit)
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            message="content_base64 is not valid base64", details={"field": "content_base64"}
        ) from None
    rules.check_size(size=len(data), limit=limit)
    return data


def add_attachment(
    *,
    runtime: Runtime,
    store: BlobStore,
    limit: int,
    case_id: int,
    filename: str,
    content_type: str | None,
    content_base64: str,
    message_id: int | None,
    actor: Actor,
) -> AttachmentRead:
    """Store the file (before the transaction: a blob without a row is harmless, content-addressed) and record it."""
    data = decode(content_base64, limit=limit)
    sha256 = store.put(data)
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        if message_id is not None:
            message_on_case(session, case_id=case.id, message_id=message_id)
        row = CaseAttachment(
            case_id=case.id,
            message_id=message_id,
            filename=rules.clean_filename(filename),
            content_type=rules.clean_content_type(content_type),
            size=len(data),
            sha256=sha256,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        repo.record_history(session, case=case, field="attachment_added", old=None, new=row.filename, actor=actor)
        touch(case)
        read = attachment_read(row)
        runtime.emit(session, AttachmentAdded(attachment=read, actor=actor))
        return read
