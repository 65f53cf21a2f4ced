"""Use cases: mail an agent the link where they set a password (an invitation, a reset).

Like the portal's sign-in link, the mail is a bearer credential: its bytes are dropped once delivered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from contracts.envelope import Envelope
from contracts.gateway import AgentInvited, AgentPasswordResetRequested
from notifications.mail import compose
from notifications.mail.service_mail import queue_service_mail
from notifications.ratelimit import Counter
from notifications.settings import NotificationsSettings

INVITE_KIND = "agent_invite"
RESET_KIND = "password_reset"


def mail_invitation(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `agent_invited`: mail the new agent the link where they choose their password."""
    event = envelope.open(AgentInvited)
    by = f"{event.invited_by} invited you" if event.invited_by else "You are invited"
    _mail(
        session=session,
        settings=settings,
        envelope=envelope,
        counter=counter,
        kind=INVITE_KIND,
        to=compose.Mailbox(event.email, event.name),
        subject="You are invited to the help desk",
        intro=f"{by} to work as an agent on the help desk. Choose your password to get started.",
        action="Choose your password",
        link_url=event.link_url,
        expires_at=event.expires_at,
    )


def mail_password_reset(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `agent_password_reset_requested`: mail the agent the link where they choose a new password."""
    event = envelope.open(AgentPasswordResetRequested)
    _mail(
        session=session,
        settings=settings,
        envelope=envelope,
        counter=counter,
        kind=RESET_KIND,
        to=compose.Mailbox(event.email, event.name),
        subject="Reset your help desk password",
        intro="Someone asked to reset the password of your help desk account.",
        action="Choose a new password",
        link_url=event.link_url,
        expires_at=event.expires_at,
    )


def _mail(
    *,
    session: Session,
    settings: NotificationsSettings,
    envelope: Envelope,
    counter: Counter | None,
    kind: str,
    to: compose.Mailbox,
    subject: str,
    intro: str,
    action: str,
    link_url: str,
    expires_at: datetime,
) -> None:
    queue_service_mail(
        session=session,
        settings=settings,
        envelope=envelope,
        counter=counter,
        kind=kind,
        recipient=to.email,
        idstring="ag",
        build=lambda sender, message_id, date: compose.agent_access_link(
            to=to,
            sender=sender,
            subject=subject,
            intro=intro,
            action=action,
            link_url=link_url,
            expires_at=expires_at,
            message_id=message_id,
            date=date,
        ),
    )
