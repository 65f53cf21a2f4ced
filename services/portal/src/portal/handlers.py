"""Use cases of the portal that change its own database: one function per command, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import unit_of_work
from chassis.outbox import add_event
from contracts.cases import ContactRead
from contracts.portal import SERVICE, MagicLinkRequested
from portal.db.models import MagicLink, OutboxMessage
from portal.domain import magic_links
from portal.domain.magic_links import LinkState


def issue_magic_link(
    *,
    session_factory: sessionmaker[Session],
    contact: ContactRead,
    email: str,
    public_url: str,
    ttl_seconds: int,
    now: datetime,
) -> MagicLinkRequested:
    """Store a new link's hash and emit `magic_link_requested` (the token travels only in the event)."""
    token = magic_links.new_token()
    expires = magic_links.expires_at(now=now, ttl_seconds=ttl_seconds)
    # send to the address on record: the one typed in matched it, and it is the one we trust
    recipient = contact.email or email
    event = MagicLinkRequested(
        contact_id=contact.id,
        email=recipient,
        name=contact.name,
        link_url=magic_links.link_url(public_url=public_url, token=token),
        expires_at=expires,
    )
    with unit_of_work(session_factory) as session:
        session.add(
            MagicLink(
                token_hash=magic_links.hash_token(token),
                contact_id=contact.id,
                email=recipient,
                created_at=now,
                expires_at=expires,
            )
        )
        add_event(session, OutboxMessage, event, source=SERVICE)
    return event


@dataclass(frozen=True)
class RedeemedLink:
    contact_id: int
    email: str


def redeem_magic_link(*, session_factory: sessionmaker[Session], token: str, now: datetime) -> RedeemedLink | None:
    """Use a link once: who it signs in when it was valid, else None (unknown, expired or used)."""
    if not magic_links.looks_like_token(token):
        return None
    with unit_of_work(session_factory) as session:
        # the row lock makes two clicks racing on one link sign in only once
        link = session.scalars(
            select(MagicLink).where(MagicLink.token_hash == magic_links.hash_token(token)).with_for_update()
        ).one_or_none()
        if link is None:
            return None
        if magic_links.link_state(expires_at=link.expires_at, used_at=link.used_at, now=now) is not LinkState.VALID:
            return None
        link.used_at = now
        return RedeemedLink(contact_id=link.contact_id, email=link.email)
