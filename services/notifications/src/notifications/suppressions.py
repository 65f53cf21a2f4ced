"""Use cases of loop safety (E4): the hard-bounce suppression list, rate limits, and bounces in the log."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chassis.db import dialect_insert, utcnow
from chassis.logging import get_logger
from contracts.envelope import Envelope
from contracts.errors import NotFound
from contracts.mail_gateway import MailBounced
from contracts.notifications import SuppressionRead
from notifications import confirm_group
from notifications.db.models import Delivery, SuppressedAddress
from notifications.domain.addresses import normalise_address
from notifications.domain.loop_guard import HARD_BOUNCE_REASON, RateLimits, is_automatic, rate_limit_reason
from notifications.domain.threads import normalise_message_id
from notifications.ratelimit import Counter
from notifications.settings import NotificationsSettings

log = get_logger(__name__)


def guard(
    *,
    session: Session,
    settings: NotificationsSettings,
    counter: Counter | None,
    kind: str,
    recipient: str,
    case_id: int | None,
) -> str | None:
    """Why this mail must not go (suppressed address, rate limit), or None; counts it when it may go."""
    address = normalise_address(recipient)
    if is_suppressed(session=session, address=address):
        return HARD_BOUNCE_REASON
    if counter is None or not is_automatic(kind):
        return None
    limits = RateLimits(
        per_recipient=settings.rate_limit_per_recipient,
        per_case=settings.rate_limit_per_case,
        window_seconds=settings.rate_limit_window_seconds,
    )
    counts = [
        counter.hit(name, subject, window_seconds=limits.window_seconds) for name, subject in limited(address, case_id)
    ]
    return rate_limit_reason(
        limits=limits, recipient_count=counts[0], case_count=counts[1] if len(counts) > 1 else None
    )


def is_suppressed(*, session: Session, address: str) -> bool:
    """Whether a hard bounce stopped mail to the (normalised) address; a confirmation group asked once (0158)."""
    return confirm_group.get_row(session, SuppressedAddress, address) is not None


def limited(address: str, case_id: int | None) -> list[tuple[str, str]]:
    """The (limiter, subject) pairs an automatic mail counts against: its recipient, then its case."""
    return [("recipient", address)] + ([("case", str(case_id))] if case_id is not None else [])


def record_bounce(*, session: Session, envelope: Envelope) -> None:
    """On `mail_bounced` (a hard bounce): mark the delivery bounced and suppress the address until cleared."""
    event = envelope.open(MailBounced)
    address = normalise_address(event.recipient)
    status = (event.status or "")[:20]
    reason = f"hard bounce {status}".strip()
    original = normalise_message_id(event.original_message_id)
    if original:
        session.execute(
            update(Delivery)
            .where(Delivery.email_message_id == original, Delivery.recipient == address)
            .values(status="bounced", last_error=f"{reason}: {event.diagnostic}" if event.diagnostic else reason)
        )
    stmt = dialect_insert(session, SuppressedAddress.__table__).values(
        address=address,
        reason=reason,
        status=status,
        case_id=event.case_id,
        original_message_id=original,
        source_event_id=envelope.event_id,
        created_at=utcnow(),
    )
    # the first bounce explains the suppression; later ones of the same address add nothing
    session.execute(stmt.on_conflict_do_nothing(index_elements=["address"]))
    log.info("address_suppressed", case_id=event.case_id, status=status)


def list_suppressions(*, session: Session, address: str | None = None, limit: int = 100) -> list[SuppressionRead]:
    """Suppressed addresses, newest first (optionally one address)."""
    query = select(SuppressedAddress).order_by(SuppressedAddress.created_at.desc()).limit(max(1, min(limit, 500)))
    if address is not None:
        query = query.where(SuppressedAddress.address == normalise_address(address))
    return [SuppressionRead.model_validate(row, from_attributes=True) for row in session.scalars(query)]


def clear_suppression(*, session: Session, address: str) -> SuppressionRead:
    """Let mail go to `address` again; NotFound when it was not suppressed."""
    row = session.get(SuppressedAddress, normalise_address(address))
    if row is None:
        raise NotFound(message="this address is not suppressed", details={"address": normalise_address(address)})
    cleared = SuppressionRead.model_validate(row, from_attributes=True)
    session.delete(row)
    log.info("suppression_cleared", case_id=row.case_id)
    return cleared
