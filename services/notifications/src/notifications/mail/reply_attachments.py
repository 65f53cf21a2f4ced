"""The bytes of the files an agent's reply carries, fetched from cases before the mail is queued (decision 0102)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from chassis.consumer import TransientError
from contracts.case_work import AttachmentContent
from contracts.cases import MessageRead
from contracts.errors import DomainError
from notifications.mail.rules import MailAttachment, choose

# (case_id, attachment_id) -> the file with its bytes (cases' get_attachment); raises TransientError when cases is
# slow or down, DomainError when the file is gone
AttachmentFetch = Callable[[int, int], AttachmentContent]


def for_reply(
    *, message: MessageRead, fetch: AttachmentFetch | None, limit: int
) -> tuple[list[MailAttachment], list[str]]:
    """(the files to attach, the names of files left out because of the size limit)."""
    chosen, left_out = choose(message.attachments, limit=limit)
    if chosen and fetch is None:
        raise TransientError("no way to fetch the reply's attachments")
    files = []
    missing: list[str] = []
    for ref in chosen:
        assert ref.attachment_id is not None and fetch is not None
        try:
            found = fetch(message.case_id, ref.attachment_id)
        except DomainError:
            # cases says the file is gone: the reply still goes, naming the file it could not attach
            missing.append(ref.filename)
            continue
        try:
            data = base64.b64decode(found.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise TransientError(f"cases.get_attachment({ref.attachment_id}) answered without content") from None
        files.append(MailAttachment(filename=ref.filename, content_type=ref.content_type, data=data))
    return files, [ref.filename for ref in left_out] + missing
