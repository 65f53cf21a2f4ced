"""Use cases: mail the link where someone sets a password: an agent (an invitation, a reset), a customer of
the portal (a registration, a reset).

Like the portal's sign-in link, the mail is a bearer credential: its bytes are dropped once delivered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from contracts.envelope import Envelope
from contracts.gateway import AgentInvited, AgentPasswordResetRequested
from contracts.portal import ContactPasswordLinkRequested, PasswordLinkPurpose
from notifications.mail import compose
from notifications.mail.service_mail import queue_service_mail
from notifications.ratelimit import Counter
from notifications.settings import NotificationsSettings

INVITE_KIND = "agent_invite"
RESET_KIND = "password_reset"
CONTACT_KIND = "portal_password"


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


def mail_contact_password_link(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `contact_password_link_requested`: mail a portal customer the link where they choose a password."""
    event = envelope.open(ContactPasswordLinkRequested)
    registering = event.purpose is PasswordLinkPurpose.REGISTER
    _mail(
        session=session,
        settings=settings,
        envelope=envelope,
        counter=counter,
        kind=CONTACT_KIND,
        to=compose.Mailbox(event.email, event.name),
        subject="Set up your support portal account" if registering else "Reset your support portal password",
        intro=(
            "You asked for an account on our support portal. Choose a password to finish."
            if registering
            else "Someone asked to reset the password of your support portal account."
        ),
        action="Choose your password" if registering else "Choose a new password",
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
