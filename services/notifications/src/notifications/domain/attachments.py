"""Which files of an agent's reply travel with the customer's email (issue 5, decision 0102). Pure.

Files go in the order the agent attached them while the mail's total stays within the limit; a file
that does not fit is left out and named in the mail (the customer finds it on the case in the portal).
Only files of the cases store (with an `attachment_id`) can be fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.cases import AttachmentRef


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


def choose(refs: Sequence[AttachmentRef], *, limit: int) -> tuple[list[AttachmentRef], list[AttachmentRef]]:
    """(files to attach, files left out) with the attached ones' sizes summing to at most `limit` bytes."""
    chosen: list[AttachmentRef] = []
    left_out: list[AttachmentRef] = []
    total = 0
    for ref in refs:
        if ref.attachment_id is None:
            continue
        if total + ref.size <= limit:
            chosen.append(ref)
            total += ref.size
        else:
            left_out.append(ref)
    return chosen, left_out


def mime_type(content_type: str) -> tuple[str, str]:
    """`type/subtype` as stored by cases (already cleaned); anything odd becomes application/octet-stream."""
    maintype, _, subtype = content_type.partition("/")
    if not maintype or not subtype or maintype == "multipart" or any(c in content_type for c in " ;\r\n"):
        return "application", "octet-stream"
    return maintype, subtype
