"""Sign-in use cases on the embedded SQLite database (the migration must run there too)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import make_engine, make_sessionmaker
from chassis.migrations import upgrade
from contracts.cases import ContactRead
from portal import handlers
from portal.db.models import MagicLink, OutboxMessage
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
