"""Turn what processing learned about a mail into the `mail_received` event (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from contracts.cases import AttachmentRef
from contracts.mail_gateway import MailAddress, MailKind, MailReceived, OutsiderReply, ThreadDecision
from mail_gateway.domain.addresses import mailbox_key
from mail_gateway.mail.classify import Classification
from mail_gateway.mail.parsed import Address, ParsedMail


def _address(address: Address) -> MailAddress:
    return MailAddress(email=address.email, name=address.name)


def _cut(text: str | None, limit: int, what: str, defects: list[str]) -> str | None:
    if text is None or len(text) <= limit:
        return text
    defects.append(f"body:{what}:truncated")
    return text[:limit]


def outsider_reply_of(value: str | None) -> OutsiderReply:
    """A mailbox's stored setting; a value this version does not know reads as the default."""
    try:
        return OutsiderReply(value or OutsiderReply.INTERNAL.value)
    except ValueError:
        return OutsiderReply.INTERNAL


def mail_received(
    *,
    inbound_mail_id: int,
    mailbox: str,
    default_group: str | None,
    outsider_reply: OutsiderReply = OutsiderReply.INTERNAL,
    message_id: str | None,
    parsed: ParsedMail,
    classification: Classification,
    thread: ThreadDecision,
    attachments: Sequence[AttachmentRef],
    envelope_sender: str | None,
    max_body_chars: int,
    own_addresses: Sequence[str] = (),
) -> MailReceived:
    """The event for a parsed mail; the sender falls back to the SMTP envelope sender.

    `cc` leaves out our own mailboxes (`support+tag@` too): they would otherwise become followers
    of the case (decision 0085). BCC recipients are in no header, so never in the event.
    """
    defects = list(parsed.defects)
    ours = {mailbox_key(a) for a in own_addresses}
    sender = parsed.from_address or Address(email=(envelope_sender or "").lower())
    return MailReceived(
        inbound_mail_id=inbound_mail_id,
        mailbox=mailbox,
        default_group=default_group,
        outsider_reply=outsider_reply,
        message_id=message_id or parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        from_address=_address(sender),
        to=[_address(a) for a in parsed.to],
        cc=[_address(a) for a in parsed.cc if mailbox_key(a.email) not in ours],
        subject=parsed.subject,
        text_body=_cut(parsed.text_body, max_body_chars, "text", defects) or "",
        html_body=_cut(parsed.html_body, max_body_chars, "html", defects),
        attachments=list(attachments),
        kind=MailKind(classification.kind),
        kind_reason=classification.reason,
        thread=thread,
        defects=list(dict.fromkeys(defects)),
    )


def degraded_mail_received(
    *,
    inbound_mail_id: int,
    mailbox: str,
    default_group: str | None,
    outsider_reply: OutsiderReply = OutsiderReply.INTERNAL,
    message_id: str | None,
    from_email: str | None,
    subject: str,
    defects: Sequence[str],
) -> MailReceived:
    """The event for a mail that processing could not read: what the intake saw, flagged with defects.

    It is classified normal so that a customer's mail still becomes a case rather than vanishing.
    """
    return MailReceived(
        inbound_mail_id=inbound_mail_id,
        mailbox=mailbox,
        default_group=default_group,
        outsider_reply=outsider_reply,
        message_id=message_id,
        from_address=MailAddress(email=from_email or ""),
        subject=subject,
        kind=MailKind.NORMAL,
        kind_reason="unclassified",
        thread=ThreadDecision(),
        defects=list(defects),
    )
