"""Use case: mail the portal's sign-in link (a bearer credential: its bytes are dropped once delivered)."""

from __future__ import annotations

from email.utils import make_msgid

from sqlalchemy.orm import Session

from chassis.db import utcnow
from contracts.envelope import Envelope
from contracts.portal import MagicLinkRequested
from notifications.deliveries import bookkeeping
from notifications.mail import compose
from notifications.mail.context import own_addresses, service_sender
from notifications.ratelimit import Counter
from notifications.safety.rules import suppression_reason
from notifications.safety.suppressions import guard
from notifications.settings import NotificationsSettings


def mail_magic_link(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `magic_link_requested`: mail the portal sign-in link."""
    event = envelope.open(MagicLinkRequested)
    base = {"kind": "magic_link", "recipient": event.email, "envelope": envelope, "case_id": None}
    reason = suppression_reason(event.email, own_addresses=own_addresses(settings)) or guard(
        session=session, settings=settings, counter=counter, kind="magic_link", recipient=event.email, case_id=None
    )
    if reason:
        bookkeeping.record_suppressed(session=session, reason=reason, **base)
        return
    now = utcnow()
    # not a case mail: a plain Message-ID, so a reply to it can never thread onto a case
    message_id = make_msgid(idstring="ml", domain=settings.mail_domain).strip("<>")
    mail = compose.magic_link(
        to=compose.Mailbox(event.email, event.name),
        sender=service_sender(settings),
        link_url=event.link_url,
        expires_at=event.expires_at,
        message_id=message_id,
        date=now,
    )
    bookkeeping.queue_mail(session=session, mail=mail, case_message_id=None, now=now, **base)
