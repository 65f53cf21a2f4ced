"""Use cases of the portal that change its own database: one function per command, one transaction each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from chassis import link_tokens, passwords
from chassis.db import unit_of_work
from chassis.outbox import add_event
from contracts.cases import ContactRead
from contracts.portal import SERVICE, ContactPasswordLinkRequested, MagicLinkRequested, PasswordLinkPurpose
from portal.db.models import ContactPassword, MagicLink, OutboxMessage, PasswordLink
from portal.domain import magic_links, password_links
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


# -- passwords (decision 0251) ------------------------------------------------------------------------

# verified when nobody with a password matches, so a wrong address costs as long as a wrong password
_DUMMY_HASH = passwords.hash_password("not-anyones-password-at-all")


def check_password(*, session_factory: sessionmaker[Session], contact_id: int | None, password: str) -> bool:
    """True when `password` is the contact's; rehashes a hash made with weaker parameters."""
    with unit_of_work(session_factory) as session:
        row = (
            session.scalars(select(ContactPassword).where(ContactPassword.contact_id == contact_id)).one_or_none()
            if contact_id is not None
            else None
        )
        if row is None:
            passwords.verify_password(password, _DUMMY_HASH)
            return False
        if not passwords.verify_password(password, row.password_hash):
            return False
        if passwords.needs_rehash(row.password_hash):
            row.password_hash = passwords.hash_password(password)
        return True


def has_password(*, session_factory: sessionmaker[Session], contact_id: int) -> bool:
    with unit_of_work(session_factory) as session:
        found = session.scalar(select(ContactPassword.id).where(ContactPassword.contact_id == contact_id))
        return found is not None


def set_password(*, session_factory: sessionmaker[Session], contact_id: int, password: str, now: datetime) -> None:
    """Store a new password for the contact; every unused mailed link of theirs stops working."""
    encoded = passwords.hash_password(password)  # outside the transaction: it takes tens of milliseconds
    with unit_of_work(session_factory) as session:
        _store_password(session, contact_id, encoded, now)


def _store_password(session: Session, contact_id: int, encoded: str, now: datetime) -> None:
    row = session.scalars(select(ContactPassword).where(ContactPassword.contact_id == contact_id)).one_or_none()
    if row is None:
        session.add(ContactPassword(contact_id=contact_id, password_hash=encoded, created_at=now, updated_at=now))
    else:
        row.password_hash, row.updated_at = encoded, now
    session.execute(
        update(PasswordLink)
        .where(PasswordLink.contact_id == contact_id, PasswordLink.used_at.is_(None))
        .values(used_at=now)
    )


def issue_password_link(
    *,
    session_factory: sessionmaker[Session],
    contact: ContactRead,
    email: str,
    purpose: PasswordLinkPurpose,
    secret: str,
    public_url: str,
    ttl_seconds: int,
    now: datetime,
) -> ContactPasswordLinkRequested:
    """Store a new link's hash and emit the event that mails it; earlier unused links stop working."""
    token = password_links.new_token(secret=secret, purpose=purpose)
    expires = password_links.expires_at(now=now, ttl_seconds=ttl_seconds)
    recipient = contact.email or email
    event = ContactPasswordLinkRequested(
        contact_id=contact.id,
        email=recipient,
        name=contact.name,
        purpose=purpose,
        link_url=password_links.link_url(public_url=public_url, token=token),
        expires_at=expires,
    )
    with unit_of_work(session_factory) as session:
        session.execute(
            update(PasswordLink)
            .where(PasswordLink.contact_id == contact.id, PasswordLink.used_at.is_(None))
            .values(used_at=now)
        )
        session.add(
            PasswordLink(
                token_hash=link_tokens.hash_token(token),
                purpose=purpose.value,
                contact_id=contact.id,
                email=recipient,
                created_at=now,
                expires_at=expires,
            )
        )
        add_event(session, OutboxMessage, event, source=SERVICE)
    return event


@dataclass(frozen=True)
class PasswordLinkCheck:
    state: link_tokens.LinkState
    purpose: PasswordLinkPurpose | None = None
    contact_id: int | None = None
    email: str = ""


def _find_link(session: Session, token: str, secret: str, now: datetime, *, lock: bool) -> PasswordLinkCheck:
    purpose = password_links.purpose_of(token, secret=secret)
    if purpose is None:
        return PasswordLinkCheck(link_tokens.LinkState.UNKNOWN)
    query = select(PasswordLink).where(
        PasswordLink.token_hash == link_tokens.hash_token(token), PasswordLink.purpose == purpose.value
    )
    link = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if link is None:
        return PasswordLinkCheck(link_tokens.LinkState.UNKNOWN)
    state = link_tokens.link_state(expires_at=link.expires_at, used_at=link.used_at, now=now)
    return PasswordLinkCheck(state, purpose, link.contact_id, link.email)


def check_password_link(
    *, session_factory: sessionmaker[Session], token: str, secret: str, now: datetime
) -> PasswordLinkCheck:
    """What a link is worth right now (nothing is changed)."""
    with unit_of_work(session_factory) as session:
        return _find_link(session, token, secret, now, lock=False)


def set_password_with_link(
    *, session_factory: sessionmaker[Session], token: str, secret: str, password: str, now: datetime
) -> PasswordLinkCheck:
    """Use a link once to set the contact's password; the answer says whether it was valid (and for whom)."""
    if password_links.purpose_of(token, secret=secret) is None:
        return PasswordLinkCheck(link_tokens.LinkState.UNKNOWN)
    encoded = passwords.hash_password(password)
    with unit_of_work(session_factory) as session:
        # the row lock makes two submits racing on one link set a password only once
        found = _find_link(session, token, secret, now, lock=True)
        if found.state is link_tokens.LinkState.VALID and found.contact_id is not None:
            _store_password(session, found.contact_id, encoded, now)
        return found
