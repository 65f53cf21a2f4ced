"""What every mail to a customer carries (E1, E6, B12): threading aids, the agent's sign-off, and the
resolved/closed notices and completion requests, each loop-safe, rate-limited and logged like other mail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from contracts.case_work import ResolvedSignature
from contracts.cases import CaseRead, CaseUpdated, MessageRead
from contracts.envelope import Envelope
from contracts.notifications import ConversationMode
from contracts.tokens import make_message_id
from notifications import mail_settings
from notifications.db.models import Delivery
from notifications.domain import compose
from notifications.domain.addresses import suppression_reason
from notifications.domain.customer_mail import (
    Signoff,
    ThreadingAids,
    case_link_url,
    cc_candidates,
    notice_kind,
    notice_phone,
    notice_sms,
    notice_text,
    threading_aids,
)
from notifications.domain.sender_choice import sender_address
from notifications.ratelimit import Counter
from notifications.settings import NotificationsSettings
from notifications.suppressions import guard

log = get_logger(__name__)

# (agent_id, mailbox) -> the agent's greeting and signature for mail from that mailbox (cases.resolve_signature);
# raises chassis.consumer.TransientError when cases does not answer in time
SignatureLookup = Callable[[int, str], ResolvedSignature]


NEVER_REASON = "organisation setting: never email the customer"


@dataclass(frozen=True)
class CustomerContext:
    """How mail to the customer of one case is made (E3): from whom, how much of the conversation, CC."""

    sender: compose.Mailbox
    aids: ThreadingAids
    conversation: ConversationMode
    cc_followers: bool
    # B12 + E3: the organisation's own greeting beats the agent's levels; the workspace one is the fallback
    organisation_greeting: str | None
    workspace_greeting: str

    @property
    def never_reason(self) -> str | None:
        return NEVER_REASON if self.conversation == ConversationMode.NEVER else None


def customer_context(*, session: Session, settings: NotificationsSettings, case: CaseRead) -> CustomerContext:
    org_id = case.organisation.id if case.organisation else None
    found = mail_settings.for_case(session=session, settings=settings, organisation_id=org_id)
    eff = found.effective
    # the mailbox the case came in on beats the E3 sender levels (decision 0101)
    sender = compose.Mailbox(sender_address(case_mailbox=case.mailbox, configured=eff.sender_address), eff.sender_name)
    return CustomerContext(
        sender=sender,
        aids=aids_for(settings=settings, case=case, sender=sender),
        conversation=eff.conversation,
        cc_followers=eff.cc_followers,
        organisation_greeting=found.organisation_greeting,
        workspace_greeting=eff.closing_greeting,
    )


def link_for(*, settings: NotificationsSettings, case: CaseRead, ctx: CustomerContext) -> str | None:
    """The portal link that replaces the text of a reply when the organisation wants "link only"."""
    return signed_case_link(settings=settings, case=case) if ctx.conversation == ConversationMode.LINK else None


def signed_case_link(*, settings: NotificationsSettings, case: CaseRead) -> str:
    """The signed portal link of the case for its requester (D5): confirmations and "link only" mail carry it."""
    return case_link_url(
        portal_url=settings.portal_url,
        case=case,
        secret=settings.secret_key,
        ttl_seconds=settings.case_link_ttl_seconds,
        now=time.time(),
    )


def followers_in_cc(
    *,
    session: Session,
    settings: NotificationsSettings,
    counter: Counter | None,
    case: CaseRead,
    ctx: CustomerContext,
    own_addresses: list[str],
) -> list[compose.Mailbox]:
    """The followers copied on a public reply when the organisation wants it; never suppressed addresses."""
    if not ctx.cc_followers:
        return []
    picked = []
    for email, name in cc_candidates(case, own_addresses=[*own_addresses, ctx.sender.email]):
        if guard(session=session, settings=settings, counter=counter, kind="reply", recipient=email, case_id=case.id):
            continue
        picked.append(compose.Mailbox(email, name))
    return picked


def aids_for(*, settings: NotificationsSettings, case: CaseRead, sender: compose.Mailbox) -> ThreadingAids:
    """Subject token and Reply-To of a mail of `case` sent from `sender`."""
    return threading_aids(
        case=case,
        sender_address=sender.email,
        secret=settings.secret_key,
        plain_reply_to=settings.plain_reply_to_mailboxes,
    )


def signoff_for(*, message: MessageRead, ctx: CustomerContext | None, signatures: SignatureLookup | None) -> Signoff:
    """The greeting and signature of the agent who wrote `message`, as cases resolves them (B12 precedence).

    The lookup is never skipped when there is one: a TransientError (cases too slow) propagates so
    the event is retried, and the mail never goes out without its signature. The greeting: the
    customer organisation's own (E3) first, then cases' levels, then the workspace's E3 greeting.
    """
    greeting, signature = "", ""
    if signatures is not None and message.author_id is not None:
        mailbox = ctx.sender.email if ctx else ""
        resolved = signatures(message.author_id, mailbox)
        greeting, signature = resolved.greeting, resolved.signature
    if ctx is not None:
        greeting = ctx.organisation_greeting or greeting or ctx.workspace_greeting
    return Signoff(greeting=greeting, signature=signature)


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
    row = Delivery(
        kind=kind,
        channel="sms",
        recipient=phone,
        case_id=case.id,
        source_event_id=envelope.event_id,
        subject="",
        attempts=0,
        created_at=now,
    )
    if reason:
        row.status, row.last_error = "suppressed", reason
    else:
        row.status, row.next_attempt_at = "queued", now
        row.raw_message = notice_sms(kind=kind, case=case).encode()
    session.add(row)
    log.info("customer_notice_queued", kind=kind, channel="sms", case_id=case.id, status=row.status)


def notify_status_change(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `case_updated`: a resolved/closed notice or a completion request to the requester, when one is due."""
    from notifications import handlers  # the shared queue/suppress/threading helpers live there

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
        or suppression_reason(recipient, own_addresses=[*handlers._own_addresses(settings), ctx.sender.email])
        or guard(session=session, settings=settings, counter=counter, kind=kind, recipient=recipient, case_id=case.id)
    )
    if reason:
        handlers._suppress(session=session, reason=reason, **base)
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
    threading = handlers._threading_for(session=session, case_id=case.id, fallback=None)
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
    handlers._queue(session=session, mail=mail, case_message_id=None, now=now, **base)
    handlers.remember_message_id(
        session=session, case_id=case.id, email_message_id=message_id, author_type="system", created_at=now
    )
    log.info("customer_notice_queued", kind=kind, case_id=case.id)
