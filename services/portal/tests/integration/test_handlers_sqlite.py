"""Sign-in use cases on the embedded SQLite database (the migration must run there too)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import make_engine, make_sessionmaker
from chassis.link_tokens import LinkState
from chassis.migrations import upgrade
from contracts.cases import ContactRead
from contracts.portal import PasswordLinkPurpose
from portal import handlers
from portal.db.models import MagicLink, OutboxMessage, PasswordLink
from portal.domain.magic_links import hash_token
from portal.manage import SERVICE_DIR

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CONTACT = ContactRead(id=42, email="Alice@Example.com", name="Alice")


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    upgrade(SERVICE_DIR, url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()


def issue(factory: sessionmaker[Session]) -> str:
    event = handlers.issue_magic_link(
        session_factory=factory,
        contact=CONTACT,
        email="alice@example.com",
        public_url="https://support.example.com",
        ttl_seconds=900,
        now=NOW,
    )
    return event.link_url.rsplit("/", 1)[1]


def test_issuing_stores_the_hash_and_the_event_in_one_transaction(factory: sessionmaker[Session]) -> None:
    token = issue(factory)
    with factory() as session:
        link = session.scalars(select(MagicLink)).one()
        outbox = session.scalars(select(OutboxMessage)).one()
    assert link.token_hash == hash_token(token)
    assert (link.contact_id, link.email, link.used_at) == (42, "Alice@Example.com", None)
    assert link.expires_at == NOW + timedelta(minutes=15)
    assert outbox.event_type == "magic_link_requested"
    assert outbox.envelope["payload"]["link_url"] == f"https://support.example.com/auth/{token}"
    assert outbox.envelope["payload"]["email"] == "Alice@Example.com"
    assert outbox.published_at is None


def test_a_link_signs_in_once(factory: sessionmaker[Session]) -> None:
    token = issue(factory)
    first = handlers.redeem_magic_link(session_factory=factory, token=token, now=NOW + timedelta(minutes=1))
    assert first == handlers.RedeemedLink(contact_id=42, email="Alice@Example.com")
    assert handlers.redeem_magic_link(session_factory=factory, token=token, now=NOW + timedelta(minutes=2)) is None


def test_an_expired_link_signs_nobody_in(factory: sessionmaker[Session]) -> None:
    token = issue(factory)
    assert handlers.redeem_magic_link(session_factory=factory, token=token, now=NOW + timedelta(minutes=15)) is None
    with factory() as session:
        assert session.scalars(select(MagicLink.used_at)).one() is None


def test_unknown_or_malformed_tokens_sign_nobody_in(factory: sessionmaker[Session]) -> None:
    issue(factory)
    assert handlers.redeem_magic_link(session_factory=factory, token="x" * 43, now=NOW) is None
    assert handlers.redeem_magic_link(session_factory=factory, token="../../etc", now=NOW) is None


SECRET = "portal-secret-for-sqlite-tests-0123456789"


def issue_password_link(factory: sessionmaker[Session], purpose: PasswordLinkPurpose, now: datetime = NOW) -> str:
    event = handlers.issue_password_link(
        session_factory=factory,
        contact=CONTACT,
        email="alice@example.com",
        purpose=purpose,
        secret=SECRET,
        public_url="https://support.example.com",
        ttl_seconds=3600,
        now=now,
    )
    return event.link_url.rsplit("/", 1)[1]


def test_a_password_link_sets_the_password_once_and_only_then(factory: sessionmaker[Session]) -> None:
    token = issue_password_link(factory, PasswordLinkPurpose.REGISTER)
    assert not handlers.check_password(session_factory=factory, contact_id=42, password="long enough phrase")
    used = handlers.set_password_with_link(
        session_factory=factory, token=token, secret=SECRET, password="long enough phrase", now=NOW
    )
    assert used.state is LinkState.VALID and used.contact_id == 42
    assert handlers.check_password(session_factory=factory, contact_id=42, password="long enough phrase")
    assert not handlers.check_password(session_factory=factory, contact_id=42, password="another phrase!")
    assert not handlers.check_password(session_factory=factory, contact_id=None, password="long enough phrase")
    again = handlers.set_password_with_link(
        session_factory=factory, token=token, secret=SECRET, password="a third long phrase", now=NOW
    )
    assert again.state is LinkState.USED
    assert handlers.check_password(session_factory=factory, contact_id=42, password="long enough phrase")


def test_a_newer_link_voids_the_older_and_expiry_counts(factory: sessionmaker[Session]) -> None:
    first = issue_password_link(factory, PasswordLinkPurpose.RESET)
    second = issue_password_link(factory, PasswordLinkPurpose.RESET)
    check = handlers.check_password_link(session_factory=factory, token=first, secret=SECRET, now=NOW)
    assert check.state is LinkState.USED
    late = NOW + timedelta(hours=1)
    assert handlers.check_password_link(session_factory=factory, token=second, secret=SECRET, now=late).state is (
        LinkState.EXPIRED
    )
    wrong_secret = handlers.check_password_link(session_factory=factory, token=second, secret="x" * 40, now=NOW)
    assert wrong_secret.state is LinkState.UNKNOWN
    with factory() as session:
        stored = session.scalars(select(PasswordLink.token_hash)).all()
    assert second not in stored and len(stored) == 2
