"""Size limits of inbound mail and the loop-safe notice to the sender (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.mail_gateway import MailAddress, MailRejected
from mail_gateway.mail.parsed import Attachment

MESSAGE_TOO_LARGE = "message_too_large"
ATTACHMENT_TOO_LARGE = "attachment_too_large"


@dataclass(frozen=True)
class AttachmentSplit:
    kept: list[Attachment]
    left_out: list[Attachment]


def split_attachments(attachments: Sequence[Attachment], *, max_bytes: int) -> AttachmentSplit:
    """Attachments within the per-attachment limit, and those left out (the raw mail keeps them all)."""
    kept = [a for a in attachments if len(a.data) <= max_bytes]
    return AttachmentSplit(kept=kept, left_out=[a for a in attachments if len(a.data) > max_bytes])


def may_notify_sender(*, kind: str, sender: str, own_addresses: Sequence[str]) -> bool:
    """Only a person's normal mail gets a notice: never auto-replies, bounces, lists, loops or ourselves."""
    if kind != "normal" or not sender or "@" not in sender:
        return False
    local = sender.split("@", 1)[0].lower()
    if local in {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply"}:
        return False
    return sender.lower() not in {a.lower() for a in own_addresses}


def rejection(
    *,
    inbound_mail_id: int,
    mailbox: str,
    sender: MailAddress,
    subject: str,
    message_id: str | None,
    reason: str,
    limit_bytes: int,
    size_bytes: int,
    filenames: Sequence[str] = (),
    case_created: bool = False,
) -> MailRejected:
    """The `mail_rejected` event that notifications turns into the notice."""
    return MailRejected(
        inbound_mail_id=inbound_mail_id,
        mailbox=mailbox,
        to=sender,
        subject=subject,
        message_id=message_id,
        reason=reason,
        limit_bytes=limit_bytes,
        size_bytes=size_bytes,
        filenames=list(filenames),
        case_created=case_created,
    )
