"""Use cases of the notifications service: one function per command, each inside the caller's transaction."""

from __future__ import annotations

import contextlib
from datetime import datetime
from email.utils import make_msgid

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.cases import CaseCreated, MessageAdded
from contracts.envelope import Envelope
from contracts.notifications import ConversationMode, DeliveryRead, NotificationSent
from contracts.portal import MagicLinkRequested
from contracts.tokens import make_message_id
from notifications import confirm_group, reply_attachments, webpush
from notifications.count_once import CountOnce
from notifications.customer_mail import (
    CustomerContext,
    SignatureLookup,
    customer_context,
    followers_in_cc,
    link_for,
    signed_case_link,
    signoff_for,
)
from notifications.db.models import Delivery, ThreadRef
from notifications.domain import compose, policy
from notifications.domain.addresses import normalise_address, suppression_reason
from notifications.domain.loop_guard import is_automatic
from notifications.domain.mail_settings import scope_key
from notifications.domain.retry import SendFailure, backoff, classify
from notifications.domain.sms import sms_reply_recipient
from notifications.domain.threads import ThreadEntry, ThreadHeaders, normalise_message_id, reply_headers
from notifications.mailer import Mailer
from notifications.ratelimit import Counter
from notifications.reply_attachments import AttachmentFetch
from notifications.settings import NotificationsSettings
from notifications.sms import SmsSender, UnconfiguredSms
from notifications.sms_notices import queue_sms_reply
from notifications.suppressions import guard, is_suppressed, limited

log = get_logger(__name__)

DUE_STATUSES = ("queued", "failed")
# mail whose body is a bearer credential: its bytes are dropped once the delivery has ended
SECRET_KINDS = frozenset({"magic_link"})


def confirm_new_case(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `case_created`: remember the customer's Message-ID; queue a confirmation when it is safe to."""
    event = confirm_group.opened(session, envelope)
    case, first = event.case, event.first_message
    customer_msgid = normalise_message_id(first.email_message_id) if first else None
    refs = []
    if first is not None and customer_msgid:
        refs.append(
            confirm_group.thread_ref(
                case_id=case.id,
                email_message_id=customer_msgid,
                author_type=first.author_type.value,
                created_at=first.created_at,
            )
        )
    gate = _confirmation_gate(session=session, settings=settings, event=event, event_id=envelope.event_id)
    if gate is not None:
        recipient, ctx, blocker = gate
        blocker = blocker or guard(
            session=session,
            settings=settings,
            counter=counter,
            kind="confirmation",
            recipient=recipient,
            case_id=case.id,
        )
        base = {"kind": "confirmation", "recipient": recipient, "envelope": envelope, "case_id": case.id}
        if blocker:
            _suppress(session=session, reason=blocker, **base)
        else:
            message_id = make_message_id(
                case_id=case.id,
                message_id=first.id if first else 0,
                secret=settings.secret_key,
                domain=settings.mail_domain,
            )
            now = utcnow()
            mail = compose.confirmation(
                case=case,
                to=compose.Mailbox(recipient, case.requester.name if case.requester else ""),
                sender=ctx.sender,
                message_id=message_id,
                in_reply_to=customer_msgid,
                date=now,
                aids=ctx.aids,
                link_url=signed_case_link(settings=settings, case=case),
            )
            # the confirmation answers the customer's mail, not a message of the case: no case_message_id
            _queue(session=session, mail=mail, case_message_id=None, now=now, **base)
            refs.append(
                confirm_group.thread_ref(
                    case_id=case.id, email_message_id=message_id, author_type="system", created_at=now
                )
            )
    # recorded only when the handler got this far: a failed member of a group leaves no reference behind
    confirm_group.remember(session, refs)


def prepare_confirmations(
    *, session: Session, settings: NotificationsSettings, envelopes: list[Envelope], once: CountOnce | None
) -> None:
    """A group's lookups at once (decision 0158): suppressions, mail settings, and the rate-limit counts."""
    events = []
    for envelope in envelopes:
        with contextlib.suppress(ValidationError):  # a malformed event fails in its handler, alone
            events.append((envelope.event_id, envelope.open(CaseCreated)))
    recipients = [policy.confirmation_recipient(event.case) for _, event in events]
    orgs = {event.case.organisation.id for _, event in events if event.case.organisation}
    lookups = confirm_group.begin(
        session,
        recipients=[normalise_address(r) for r in recipients if r],
        scope_keys={scope_key(None), *(scope_key(org) for org in orgs)},
    )
    lookups.events.update(events)
    if once is None or not is_automatic("confirmation"):
        return
    hits = []
    for event_id, event in events:
        gate = _confirmation_gate(session=session, settings=settings, event=event, event_id=event_id)
        if gate is None or gate[2] is not None:
            continue  # no confirmation, or blocked before the rate limit: guard() never counts it
        address = normalise_address(gate[0])
        if not is_suppressed(session=session, address=address):
            hits += [(event_id, name, subject) for name, subject in limited(address, event.case.id)]
    # one round trip for the group; the handlers' guard() then finds each count in `once`
    once.hit_many(hits, window_seconds=settings.rate_limit_window_seconds)


Gate = tuple[str, CustomerContext, str | None]


def _confirmation_gate(
    *, session: Session, settings: NotificationsSettings, event: CaseCreated, event_id: str
) -> Gate | None:
    """(recipient, how to mail them, why not before suppressions and rate limits) of a confirmation, or None."""
    lookups = confirm_group.current(session)
    if lookups is not None and event_id in lookups.gates:
        return lookups.gates[event_id]
    case, first = event.case, event.first_message
    recipient = policy.confirmation_recipient(case)
    gate: Gate | None = None
    if recipient is not None:
        ctx = customer_context(session=session, settings=settings, case=case)
        # the organisation's sender mailbox is ours too: never confirm mail that came from it (E4)
        blocker = policy.confirmation_blocker(
            recipient=recipient, first_message=first, own_addresses=[*_own_addresses(settings), ctx.sender.email]
        )
        gate = (recipient, ctx, blocker or ctx.never_reason)
    if lookups is not None:
        lookups.gates[event_id] = gate
    return gate


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
    recipient = policy.reply_recipient(case, message)
    if recipient is None:
        return
    base = {"kind": "reply", "recipient": recipient, "envelope": envelope, "case_id": case.id}
    ctx = customer_context(session=session, settings=settings, case=case)
    reason = (
        ctx.never_reason
        or suppression_reason(recipient, own_addresses=[*_own_addresses(settings), ctx.sender.email])
        or guard(
            session=session, settings=settings, counter=counter, kind="reply", recipient=recipient, case_id=case.id
        )
    )
    if reason:
        _suppress(session=session, reason=reason, case_message_id=message.id, **base)
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
        session=session, settings=settings, counter=counter, case=case, ctx=ctx, own_addresses=_own_addresses(settings)
    )
    threading = _threading_for(session=session, case_id=case.id, fallback=normalise_message_id(event.in_reply_to))
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
    )
    _queue(session=session, mail=mail, case_message_id=message.id, now=now, **base)
    for copy in cc:  # E3: the same message, one delivery per follower (each logged, retried, bounced alone)
        _queue(session=session, mail=mail, case_message_id=message.id, now=now, **{**base, "recipient": copy.email})
    remember_message_id(
        session=session,
        case_id=case.id,
        email_message_id=message_id,
        author_type="agent",
        created_at=max(message.created_at, now),
    )


def mail_magic_link(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `magic_link_requested`: mail the portal sign-in link."""
    event = envelope.open(MagicLinkRequested)
    base = {"kind": "magic_link", "recipient": event.email, "envelope": envelope, "case_id": None}
    reason = suppression_reason(event.email, own_addresses=_own_addresses(settings)) or guard(
        session=session, settings=settings, counter=counter, kind="magic_link", recipient=event.email, case_id=None
    )
    if reason:
        _suppress(session=session, reason=reason, **base)
        return
    now = utcnow()
    # not a case mail: a plain Message-ID, so a reply to it can never thread onto a case
    message_id = make_msgid(idstring="ml", domain=settings.mail_domain).strip("<>")
    mail = compose.magic_link(
        to=compose.Mailbox(event.email, event.name),
        sender=_sender(settings),
        link_url=event.link_url,
        expires_at=event.expires_at,
        message_id=message_id,
        date=now,
    )
    _queue(session=session, mail=mail, case_message_id=None, now=now, **base)


def remember_message_id(
    *, session: Session, case_id: int, email_message_id: str, author_type: str, created_at: datetime
) -> None:
    """Record a Message-ID of a case once (concurrent events may carry the same one)."""
    confirm_group.remember(
        session,
        [
            confirm_group.thread_ref(
                case_id=case_id, email_message_id=email_message_id, author_type=author_type, created_at=created_at
            )
        ],
    )


def send_due(*, runtime: Runtime, settings: NotificationsSettings, mailer: Mailer, sms: SmsSender | None = None) -> int:
    """Send what is due, one delivery per transaction; returns how many were attempted."""
    attempted = 0
    for _ in range(settings.send_batch_size):
        with runtime.transaction() as session:
            delivery = session.scalars(
                select(Delivery)
                .where(Delivery.status.in_(DUE_STATUSES), Delivery.next_attempt_at <= utcnow())
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if delivery is None:
                break
            failure = _attempt(
                session=session,
                runtime=runtime,
                settings=settings,
                mailer=mailer,
                sms=sms or UnconfiguredSms(),
                delivery=delivery,
            )
        attempted += 1
        if failure is not None and failure.relay_down:
            # the relay is unreachable: the rest of the batch would only fail the same way
            break
    return attempted


def list_deliveries(
    *, session: Session, case_id: int | None = None, recipient: str | None = None, limit: int = 50
) -> list[DeliveryRead]:
    """The delivery log, newest first, optionally for one case or one recipient."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(max(1, min(limit, 500)))
    if case_id is not None:
        query = query.where(Delivery.case_id == case_id)
    if recipient is not None:
        query = query.where(Delivery.recipient == recipient.strip().lower())
    return [DeliveryRead.model_validate(row, from_attributes=True) for row in session.scalars(query)]


def _attempt(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    mailer: Mailer,
    sms: SmsSender,
    delivery: Delivery,
) -> SendFailure | None:
    delivery.attempts += 1
    try:
        if delivery.channel == "sms":
            sms.send(to=delivery.recipient, body=(delivery.raw_message or b"").decode())
        elif delivery.channel == webpush.CHANNEL:
            webpush.send(session=session, settings=settings, delivery=delivery)
        else:
            mailer.send(
                delivery_id=delivery.id,
                sender=settings.from_address,
                recipient=delivery.recipient,
                message_id=delivery.email_message_id or "",
                raw=delivery.raw_message or b"",
            )
    except Exception as exc:
        failure = classify(exc)
        _record_failure(delivery=delivery, failure=failure, settings=settings)
        return failure
    delivery.status, delivery.sent_at = "sent", utcnow()
    delivery.next_attempt_at, delivery.last_error = None, None
    _forget_secrets(delivery)
    runtime.emit(
        session,
        NotificationSent(
            delivery_id=delivery.id,
            kind=delivery.kind,
            channel=delivery.channel,
            recipient=delivery.recipient,
            case_id=delivery.case_id,
            case_message_id=delivery.case_message_id,
            email_message_id=delivery.email_message_id,
        ),
    )
    log.info("delivery_sent", delivery_id=delivery.id, kind=delivery.kind, attempts=delivery.attempts)
    return None


def _record_failure(*, delivery: Delivery, failure: SendFailure, settings: NotificationsSettings) -> None:
    delivery.last_error = failure.reason[:2000]
    if not failure.temporary or delivery.attempts >= settings.max_attempts:
        delivery.status, delivery.next_attempt_at = "dead", None
        _forget_secrets(delivery)
        log.error("delivery_dead", delivery_id=delivery.id, attempts=delivery.attempts, reason=failure.reason)
        return
    delay = backoff(delivery.attempts, base=settings.retry_base_delay, cap=settings.retry_max_delay)
    delivery.status, delivery.next_attempt_at = "failed", utcnow() + delay
    log.warning("delivery_retry", delivery_id=delivery.id, attempts=delivery.attempts, reason=failure.reason)


def _forget_secrets(delivery: Delivery) -> None:
    if delivery.kind in SECRET_KINDS:
        delivery.raw_message = None


def _threading_for(*, session: Session, case_id: int, fallback: str | None) -> ThreadHeaders:
    rows = session.scalars(select(ThreadRef).where(ThreadRef.case_id == case_id)).all()
    headers = reply_headers([ThreadEntry(r.email_message_id, r.author_type, r.created_at) for r in rows])
    if headers.in_reply_to is None and fallback:
        # the event names the customer mail being answered, though we never saw it: still thread on it
        refs = headers.references if fallback in headers.references else [*headers.references, fallback]
        return ThreadHeaders(in_reply_to=fallback, references=refs)
    return headers


def _queue(
    *,
    session: Session,
    kind: str,
    recipient: str,
    envelope: Envelope,
    case_id: int | None,
    case_message_id: int | None,
    mail: compose.OutgoingMail,
    now: datetime,
) -> None:
    session.add(
        Delivery(
            kind=kind,
            channel="email",
            recipient=recipient.strip().lower(),
            case_id=case_id,
            case_message_id=case_message_id,
            source_event_id=envelope.event_id,
            email_message_id=mail.message_id,
            subject=mail.subject,
            raw_message=mail.raw,
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    log.info("delivery_queued", kind=kind, case_id=case_id, event_id=envelope.event_id)


def _suppress(
    *,
    session: Session,
    kind: str,
    recipient: str,
    envelope: Envelope,
    case_id: int | None,
    reason: str,
    case_message_id: int | None = None,
) -> None:
    # kept in the log so "why did the customer get nothing?" has an answer (E5)
    session.add(
        Delivery(
            kind=kind,
            channel="email",
            recipient=recipient.strip().lower(),
            case_id=case_id,
            case_message_id=case_message_id,
            source_event_id=envelope.event_id,
            status="suppressed",
            last_error=reason,
            attempts=0,
        )
    )
    log.info("delivery_suppressed", kind=kind, case_id=case_id, reason=reason)


def _sender(settings: NotificationsSettings) -> compose.Mailbox:
    return compose.Mailbox(settings.from_address, settings.from_name)


def _own_addresses(settings: NotificationsSettings) -> list[str]:
    return [settings.from_address, *settings.own_addresses]
