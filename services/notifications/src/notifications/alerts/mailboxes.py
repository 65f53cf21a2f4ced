"""Use case: tell every admin that a mailbox's OAuth2 sign-in failed (`mailbox_oauth_failed` from the mail
gateway, decision 0226): the provider refused to renew its tokens, so no mail comes in until an admin connects
it again. A mail to each admin, whatever their alert preferences: this concerns the whole desk, not a case."""

from __future__ import annotations

from email.utils import make_msgid

from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from contracts.cases import AgentRead, AgentRole
from contracts.envelope import Envelope
from contracts.mail_gateway import MailboxOAuthFailed
from notifications.deliveries import bookkeeping
from notifications.mail import compose
from notifications.mail.context import own_addresses, service_sender
from notifications.ratelimit import Counter
from notifications.safety.rules import suppression_reason
from notifications.safety.suppressions import guard
from notifications.settings import NotificationsSettings

log = get_logger(__name__)

KIND = "mailbox_sign_in_failed"


def mail_admins(
    *,
    session: Session,
    settings: NotificationsSettings,
    envelope: Envelope,
    agents: list[AgentRead],
    counter: Counter | None = None,
) -> int:
    """Queue the alert to each admin; returns how many were queued."""
    event = envelope.open(MailboxOAuthFailed)
    page_url = f"{settings.agent_ui_url.rstrip('/')}/admin/mailboxes/{event.mailbox_id}"
    admins = sorted((a for a in agents if a.role is AgentRole.ADMIN), key=lambda a: a.id)
    queued = 0
    for admin in admins:
        base = {"kind": KIND, "recipient": admin.email, "envelope": envelope, "case_id": None}
        reason = suppression_reason(admin.email, own_addresses=own_addresses(settings)) or guard(
            session=session, settings=settings, counter=counter, kind=KIND, recipient=admin.email, case_id=None
        )
        if reason:
            bookkeeping.record_suppressed(session=session, reason=reason, **base)
            continue
        now = utcnow()
        # not a case mail: a plain Message-ID, so a reply to it can never thread onto a case
        message_id = make_msgid(idstring="mbx", domain=settings.mail_domain).strip("<>")
        mail = compose.mailbox_alert(
            to=compose.Mailbox(admin.email, admin.name),
            sender=service_sender(settings),
            address=event.address,
            reason=event.reason,
            page_url=page_url,
            message_id=message_id,
            date=now,
        )
        bookkeeping.queue_mail(session=session, mail=mail, case_message_id=None, now=now, **base)
        queued += 1
    log.info("mailbox_oauth_failure_alerted", mailbox_id=event.mailbox_id, admins=queued)
    return queued
