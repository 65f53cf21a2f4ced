"""Use case: tell every admin that a mailbox's OAuth2 sign-in failed (`mailbox_oauth_failed` from the mail
gateway, decision 0226): the provider refused to renew its tokens, so no mail comes in until an admin connects
it again. A mail to each admin, whatever their alert preferences: this concerns the whole desk, not a case."""

from __future__ import annotations

from sqlalchemy.orm import Session

from chassis.logging import get_logger
from contracts.cases import AgentRead, AgentRole
from contracts.envelope import Envelope
from contracts.mail_gateway import MailboxOAuthFailed
from notifications.mail import compose
from notifications.mail.service_mail import Build, queue_service_mail
from notifications.ratelimit import Counter
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

    def alert(to: compose.Mailbox) -> Build:
        return lambda sender, message_id, date: compose.mailbox_alert(
            to=to,
            sender=sender,
            address=event.address,
            reason=event.reason,
            page_url=page_url,
            message_id=message_id,
            date=date,
        )

    queued = 0
    for admin in admins:
        queued += queue_service_mail(
            session=session,
            settings=settings,
            envelope=envelope,
            counter=counter,
            kind=KIND,
            recipient=admin.email,
            idstring="mbx",
            build=alert(compose.Mailbox(admin.email, admin.name)),
        )
    log.info("mailbox_oauth_failure_alerted", mailbox_id=event.mailbox_id, admins=queued)
    return queued
