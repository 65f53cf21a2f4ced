"""Use case: a hard bounce of a mail we sent (E4): its delivery is marked bounced, its address suppressed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from chassis.logging import get_logger
from contracts.envelope import Envelope
from contracts.mail_gateway import MailBounced
from notifications.deliveries import bookkeeping
from notifications.mail.rules import normalise_message_id
from notifications.safety.rules import normalise_address
from notifications.safety.suppressions import suppress

log = get_logger(__name__)


def record_bounce(*, session: Session, envelope: Envelope) -> None:
    """On `mail_bounced` (a hard bounce): mark the delivery bounced and suppress the address until cleared."""
    event = envelope.open(MailBounced)
    address = normalise_address(event.recipient)
    status = (event.status or "")[:20]
    reason = f"hard bounce {status}".strip()
    original = normalise_message_id(event.original_message_id)
    if original:
        bookkeeping.record_bounced(
            session=session,
            email_message_id=original,
            recipient=address,
            reason=f"{reason}: {event.diagnostic}" if event.diagnostic else reason,
        )
    suppress(
        session=session,
        address=address,
        reason=reason,
        status=status,
        case_id=event.case_id,
        original_message_id=original,
        source_event_id=envelope.event_id,
    )
    log.info("address_suppressed", case_id=event.case_id, status=status)
