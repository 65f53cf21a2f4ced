"""Use case: a resolved/closed notice or a completion request to the requester (E1), by mail or SMS, each
loop-safe, rate-limited and logged like other mail.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from contracts.cases import CaseRead, CaseUpdated
from contracts.envelope import Envelope
from contracts.notifications import ConversationMode
from contracts.tokens import make_message_id
from notifications.deliveries import bookkeeping
from notifications.mail import compose
from notifications.mail.context import customer_context, link_for, own_addresses
from notifications.mail.rules import Signoff, notice_kind, notice_phone, notice_sms, notice_text
from notifications.mail.threads import remember_message_id, threading_for
from notifications.ratelimit import Counter
from notifications.safety.rules import suppression_reason
from notifications.safety.suppressions import guard
from notifications.settings import NotificationsSettings

log = get_logger(__name__)


def _queue_sms_notice(
    *,
    session: Session,
    settings: NotificationsSettings,
    counter: Counter | None,
    envelope: Envelope,
    kind: str,
    phone: str,
    case: CaseRead,
) -> None:
    """The notice as an SMS delivery; the sender hands it to Twilio like any SMS reply (rate-limited alike)."""
    reason = guard(session=session, settings=settings, counter=counter, kind=kind, recipient=phone, case_id=case.id)
    now = utcnow()
    if reason:
        bookkeeping.record_suppressed(
            session=session,
            kind=kind,
            channel="sms",
            recipient=phone,
            envelope=envelope,
            case_id=case.id,
            reason=reason,
            now=now,
        )
    else:
        bookkeeping.queue(
            session=session,
            kind=kind,
            channel="sms",
            recipient=phone,
            source_event_id=envelope.event_id,
            case_id=case.id,
            raw=notice_sms(kind=kind, case=case).encode(),
            now=now,
        )
    status = "suppressed" if reason else "queued"
    log.info("customer_notice_queued", kind=kind, channel="sms", case_id=case.id, status=status)


def notify_status_change(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `case_updated`: a resolved/closed notice or a completion request to the requester, when one is due."""
    event = envelope.open(CaseUpdated)
    case = event.case
    kind = notice_kind(changes=event.changes, actor=event.actor, caused_by_message=event.message_id is not None)
    if kind is None or case.requester is None:
        return
    phone = notice_phone(case)
    if phone is not None:
        _queue_sms_notice(
            session=session, settings=settings, counter=counter, envelope=envelope, kind=kind, phone=phone, case=case
        )
        return
    if not case.requester.email:
        return
    recipient = case.requester.email
    base = {"kind": kind, "recipient": recipient, "envelope": envelope, "case_id": case.id}
    ctx = customer_context(session=session, settings=settings, case=case)
    reason = (
        ctx.never_reason
        or suppression_reason(recipient, own_addresses=[*own_addresses(settings), ctx.sender.email])
        or guard(session=session, settings=settings, counter=counter, kind=kind, recipient=recipient, case_id=case.id)
    )
    if reason:
        bookkeeping.record_suppressed(session=session, reason=reason, **base)
        return
    sender = ctx.sender
    name = case.requester.name
    # "link only": the solution is part of the conversation, the notice only says the case was resolved
    shown = case if ctx.conversation == ConversationMode.FULL else case.model_copy(update={"solution": None})
    notice = notice_text(
        kind=kind,
        case=shown,
        name=name,
        signoff=Signoff(
            greeting=ctx.organisation_greeting or ctx.workspace_greeting or "Kind regards,",
            signature=sender.name or sender.email,
        ),
        link_url=link_for(settings=settings, case=case, ctx=ctx),
    )
    threading = threading_for(session=session, case_id=case.id, fallback=None)
    message_id = make_message_id(case_id=case.id, message_id=0, secret=settings.secret_key, domain=settings.mail_domain)
    now = utcnow()
    mail = compose.customer_notice(
        case=case,
        notice=notice,
        to=compose.Mailbox(recipient, name),
        sender=sender,
        message_id=message_id,
        threading=threading,
        date=now,
        aids=ctx.aids,
    )
    bookkeeping.queue_mail(session=session, mail=mail, case_message_id=None, now=now, **base)
    remember_message_id(
        session=session, case_id=case.id, email_message_id=message_id, author_type="system", created_at=now
    )
    log.info("customer_notice_queued", kind=kind, case_id=case.id)
