"""Delivery bookkeeping: a delivery queued or suppressed, each attempt and its outcome, the log as read.

Every channel's use cases queue their messages here, inside the event's transaction; the sender
(`notifications.sender`) claims the due ones and records what each attempt gave.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.envelope import Envelope
from contracts.notifications import DeliveryRead, NotificationSent
from notifications.db.models import Delivery
from notifications.deliveries.rules import DUE_STATUSES, SECRET_KINDS, SendFailure, backoff
from notifications.settings import NotificationsSettings

log = get_logger(__name__)


class RenderedMail(Protocol):
    """A mail ready to go (`mail.compose.OutgoingMail`)."""

    @property
    def message_id(self) -> str: ...

    @property
    def subject(self) -> str: ...

    @property
    def raw(self) -> bytes: ...

    @property
    def sender(self) -> str: ...


def queue(
    *,
    session: Session,
    kind: str,
    channel: str,
    recipient: str,
    source_event_id: str,
    case_id: int | None,
    raw: bytes,
    now: datetime,
    subject: str = "",
    case_message_id: int | None = None,
    email_message_id: str | None = None,
    sender: str | None = None,
) -> None:
    """A delivery the sender hands over from `now` on (mail addresses are stored lower-case)."""
    session.add(
        Delivery(
            kind=kind,
            channel=channel,
            recipient=recipient.strip().lower() if channel == "email" else recipient,
            case_id=case_id,
            case_message_id=case_message_id,
            source_event_id=source_event_id,
            email_message_id=email_message_id,
            subject=subject,
            sender_address=sender.strip().lower() if sender else None,
            raw_message=raw,
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def queue_mail(
    *,
    session: Session,
    kind: str,
    recipient: str,
    envelope: Envelope,
    case_id: int | None,
    case_message_id: int | None,
    mail: RenderedMail,
    now: datetime,
) -> None:
    """A customer mail, queued."""
    queue(
        session=session,
        kind=kind,
        channel="email",
        recipient=recipient,
        source_event_id=envelope.event_id,
        case_id=case_id,
        case_message_id=case_message_id,
        email_message_id=mail.message_id,
        subject=mail.subject,
        raw=mail.raw,
        now=now,
        sender=mail.sender,
    )
    log.info("delivery_queued", kind=kind, case_id=case_id, event_id=envelope.event_id)


def record_suppressed(
    *,
    session: Session,
    kind: str,
    recipient: str,
    envelope: Envelope,
    case_id: int | None,
    reason: str,
    case_message_id: int | None = None,
    channel: str = "email",
    now: datetime | None = None,
) -> None:
    """A message that must not go, kept in the log so "why did the customer get nothing?" has an answer (E5)."""
    row = Delivery(
        kind=kind,
        channel=channel,
        recipient=recipient.strip().lower() if channel == "email" else recipient,
        case_id=case_id,
        case_message_id=case_message_id,
        source_event_id=envelope.event_id,
        status="suppressed",
        last_error=reason,
        attempts=0,
    )
    if now is not None:
        row.subject, row.created_at = "", now
    session.add(row)
    if channel == "email":
        log.info("delivery_suppressed", kind=kind, case_id=case_id, reason=reason)


def claim_due(*, session: Session, limit: int) -> list[Delivery]:
    """Up to `limit` due deliveries, oldest first, locked for this transaction (`SKIP LOCKED`: never twice)."""
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.status.in_(DUE_STATUSES), Delivery.next_attempt_at <= utcnow())
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
    )


def record_attempt(delivery: Delivery) -> None:
    """Count an attempt before the message is handed over."""
    delivery.attempts += 1


def record_sent(*, session: Session, runtime: Runtime, delivery: Delivery) -> None:
    """The delivery went: `notification_sent` in the same transaction."""
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


def record_failure(*, delivery: Delivery, failure: SendFailure, settings: NotificationsSettings) -> None:
    """A failed attempt: retried later with backoff when temporary and attempts are left, else dead."""
    delivery.last_error = failure.reason[:2000]
    if not failure.temporary or delivery.attempts >= settings.max_attempts:
        delivery.status, delivery.next_attempt_at = "dead", None
        _forget_secrets(delivery)
        log.error("delivery_dead", delivery_id=delivery.id, attempts=delivery.attempts, reason=failure.reason)
        return
    delay = backoff(delivery.attempts, base=settings.retry_base_delay, cap=settings.retry_max_delay)
    delivery.status, delivery.next_attempt_at = "failed", utcnow() + delay
    log.warning("delivery_retry", delivery_id=delivery.id, attempts=delivery.attempts, reason=failure.reason)


def record_bounced(*, session: Session, email_message_id: str, recipient: str, reason: str) -> None:
    """The mail with this Message-ID to `recipient` came back as a hard bounce."""
    session.execute(
        update(Delivery)
        .where(Delivery.email_message_id == email_message_id, Delivery.recipient == recipient)
        .values(status="bounced", last_error=reason)
    )


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


def _forget_secrets(delivery: Delivery) -> None:
    if delivery.kind in SECRET_KINDS:
        delivery.raw_message = None
