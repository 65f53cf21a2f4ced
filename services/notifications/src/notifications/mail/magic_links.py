"""Use case: mail the portal's sign-in link (a bearer credential: its bytes are dropped once delivered)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from contracts.envelope import Envelope
from contracts.portal import MagicLinkRequested
from notifications.mail import compose
from notifications.mail.service_mail import queue_service_mail
from notifications.ratelimit import Counter
from notifications.settings import NotificationsSettings


def mail_magic_link(
    *, session: Session, settings: NotificationsSettings, envelope: Envelope, counter: Counter | None = None
) -> None:
    """On `magic_link_requested`: mail the portal sign-in link."""
    event = envelope.open(MagicLinkRequested)
    queue_service_mail(
        session=session,
        settings=settings,
        envelope=envelope,
        counter=counter,
        kind="magic_link",
        recipient=event.email,
        idstring="ml",
        build=lambda sender, message_id, date: compose.magic_link(
            to=compose.Mailbox(event.email, event.name),
            sender=sender,
            link_url=event.link_url,
            expires_at=event.expires_at,
            message_id=message_id,
            date=date,
        ),
    )
