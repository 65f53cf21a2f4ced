"""Use case: an agent's public reply to the customer, by mail (threaded, signed, with its files) or by SMS."""

from __future__ import annotations

from sqlalchemy.orm import Session

from chassis.db import utcnow
from contracts.cases import MessageAdded
from contracts.envelope import Envelope
from contracts.notifications import ConversationMode
from contracts.tokens import make_message_id
from notifications.deliveries import bookkeeping
from notifications.mail import compose, reply_attachments
from notifications.mail.context import (
    SignatureLookup,
    customer_context,
    followers_in_cc,
    link_for,
    own_addresses,
    signoff_for,
)
from notifications.mail.reply_attachments import AttachmentFetch
from notifications.mail.rules import normalise_message_id, reply_recipient
from notifications.mail.threads import remember_message_id, threading_for
from notifications.ratelimit import Counter
from notifications.safety.rules import suppression_reason
from notifications.safety.suppressions import guard
from notifications.settings import NotificationsSettings
from notifications.sms.replies import queue_sms_reply
from notifications.sms.rules import sms_reply_recipient


def mail_agent_reply(
    *,
    session: Session,
    settings: NotificationsSettings,
    envelope: Envelope,
    counter: Counter | None = None,
    signatures: SignatureLookup | None = None,
    attachments: AttachmentFetch | None = None,
) -> None:
    """On `message_added`: remember its Message-ID; mail an agent's public reply to the requester."""
    event = envelope.open(MessageAdded)
    case, message = event.case, event.message
    own_msgid = normalise_message_id(message.email_message_id)
    if own_msgid:
        remember_message_id(
            session=session,
            case_id=case.id,
            email_message_id=own_msgid,
            author_type=message.author_type.value,
            created_at=message.created_at,
        )
    phone = sms_reply_recipient(case, message)
    if phone is not None:
        queue_sms_reply(session=session, envelope=envelope, case=case, message=message, phone=phone)
        return
    recipient = reply_recipient(case, message)
    if recipient is None:
        return
    base = {"kind": "reply", "recipient": recipient, "envelope": envelope, "case_id": case.id}
    ctx = customer_context(session=session, settings=settings, case=case)
    reason = (
        ctx.never_reason
        or suppression_reason(recipient, own_addresses=[*own_addresses(settings), ctx.sender.email])
        or guard(
            session=session, settings=settings, counter=counter, kind="reply", recipient=recipient, case_id=case.id
        )
    )
    if reason:
        bookkeeping.record_suppressed(session=session, reason=reason, case_message_id=message.id, **base)
        return
    # B12: resolved before anything is queued; a slow cases raises TransientError and the event is retried
    signoff = signoff_for(message=message, ctx=ctx, signatures=signatures)
    # the reply's files, fetched before anything is queued (cases down: the event is retried, decision 0102)
    files, not_attached = (
        reply_attachments.for_reply(message=message, fetch=attachments, limit=settings.max_reply_attachment_bytes)
        if ctx.conversation == ConversationMode.FULL
        else ([], [])
    )
    cc = followers_in_cc(
        session=session, settings=settings, counter=counter, case=case, ctx=ctx, own_addresses=own_addresses(settings)
    )
    threading = threading_for(session=session, case_id=case.id, fallback=normalise_message_id(event.in_reply_to))
    message_id = make_message_id(
        case_id=case.id, message_id=message.id, secret=settings.secret_key, domain=settings.mail_domain
    )
    now = utcnow()
    mail = compose.agent_reply(
        case=case,
        message=message,
        to=compose.Mailbox(recipient, case.requester.name if case.requester else ""),
        sender=ctx.sender,
        message_id=message_id,
        threading=threading,
        date=now,
        aids=ctx.aids,
        signoff=signoff,
        cc=cc,
        link_url=link_for(settings=settings, case=case, ctx=ctx),
        attachments=files,
        not_attached=not_attached,
        # nothing of the case reached the contact by mail: the agent's new email starts the thread (A7)
        first=event.first_in_case and threading.in_reply_to is None and not threading.references,
    )
    bookkeeping.queue_mail(session=session, mail=mail, case_message_id=message.id, now=now, **base)
    for copy in cc:  # E3: the same message, one delivery per follower (each logged, retried, bounced alone)
        bookkeeping.queue_mail(
            session=session, mail=mail, case_message_id=message.id, now=now, **{**base, "recipient": copy.email}
        )
    remember_message_id(
        session=session,
        case_id=case.id,
        email_message_id=message_id,
        author_type="agent",
        created_at=max(message.created_at, now),
    )
