"""Use cases of loop safety (E4): the guard every automatic message passes (the hard-bounce suppression list,
rate limits), and the suppression list as operators read and clear it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.db import dialect_insert, utcnow
from chassis.logging import get_logger
from contracts.errors import NotFound
from contracts.notifications import SuppressionRead
from notifications.db import preload
from notifications.db.models import SuppressedAddress
from notifications.ratelimit import Counter
from notifications.safety.rules import (
    HARD_BOUNCE_REASON,
    RateLimits,
    is_automatic,
    normalise_address,
    rate_limit_reason,
)
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
    return preload.get_row(session, SuppressedAddress, address) is not None


def limited(address: str, case_id: int | None) -> list[tuple[str, str]]:
    """The (limiter, subject) pairs an automatic mail counts against: its recipient, then its case."""
    return [("recipient", address)] + ([("case", str(case_id))] if case_id is not None else [])


def suppress(
    *,
    session: Session,
    address: str,
    reason: str,
    status: str,
    case_id: int | None,
    original_message_id: str | None,
    source_event_id: str,
) -> None:
    """Stop automatic mail to the (normalised) address until an operator clears it."""
    stmt = dialect_insert(session, SuppressedAddress.__table__).values(
        address=address,
        reason=reason,
        status=status,
        case_id=case_id,
        original_message_id=original_message_id,
        source_event_id=source_event_id,
        created_at=utcnow(),
    )
    # the first bounce explains the suppression; later ones of the same address add nothing
    session.execute(stmt.on_conflict_do_nothing(index_elements=["address"]))


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
