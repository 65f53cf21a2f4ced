"""Use case: queue an agent's public reply as an SMS (A5, E1), in the event's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from contracts.cases import CaseRead, MessageRead
from contracts.envelope import Envelope
from notifications.deliveries import bookkeeping
from notifications.sms.rules import sms_text

log = get_logger(__name__)


def queue_sms_reply(*, session: Session, envelope: Envelope, case: CaseRead, message: MessageRead, phone: str) -> None:
    """Store the text as a `queued` SMS delivery; the sender hands it to Twilio like mail to the relay."""
    bookkeeping.queue(
        session=session,
        kind="reply",
        channel="sms",
        recipient=phone,
        case_id=case.id,
        case_message_id=message.id,
        source_event_id=envelope.event_id,
        raw=sms_text(case=case, message=message).encode(),
        now=utcnow(),
    )
    log.info("delivery_queued", kind="reply", channel="sms", case_id=case.id, event_id=envelope.event_id)
