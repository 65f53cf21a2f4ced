"""Queueing a mail that belongs to no case (sign-in links, invitations, desk alerts) to one recipient.

Every such mail passes the same safety checks as a case mail (our own addresses, suppressions, the rate guard)
and gets a plain Message-ID, so a reply to it can never thread onto a case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import make_msgid

from sqlalchemy.orm import Session

from chassis.db import utcnow
from contracts.envelope import Envelope
from notifications.deliveries import bookkeeping
from notifications.mail import compose
from notifications.mail.context import own_addresses, service_sender
from notifications.ratelimit import Counter
from notifications.safety.rules import suppression_reason
from notifications.safety.suppressions import guard
from notifications.settings import NotificationsSettings

# build(sender, message_id, date) -> the composed mail
Build = Callable[[compose.Mailbox, str, datetime], compose.OutgoingMail]


def queue_service_mail(
    *,
    session: Session,
    settings: NotificationsSettings,
    envelope: Envelope,
    counter: Counter | None,
    kind: str,
    recipient: str,
    idstring: str,
    build: Build,
) -> bool:
    """Queue the mail `build` composes, or record why it was suppressed; True when it was queued."""
    base = {"kind": kind, "recipient": recipient, "envelope": envelope, "case_id": None}
    reason = suppression_reason(recipient, own_addresses=own_addresses(settings)) or guard(
        session=session, settings=settings, counter=counter, kind=kind, recipient=recipient, case_id=None
    )
    if reason:
        bookkeeping.record_suppressed(session=session, reason=reason, **base)
        return False
    now = utcnow()
    message_id = make_msgid(idstring=idstring, domain=settings.mail_domain).strip("<>")
    mail = build(service_sender(settings), message_id, now)
    bookkeeping.queue_mail(session=session, mail=mail, case_message_id=None, now=now, **base)
    return True
