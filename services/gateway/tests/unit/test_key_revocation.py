"""The last admin credential is kept: the rule, and the revocation over the gateway's tables (SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from chassis.db import make_sessionmaker
from chassis.testing import migrate_sqlite
from contracts import errors
from gateway import access, key_revocation
from gateway.db.models import ApiKey
from gateway.domain import api_keys

ADMIN = "ada@example.com"


def test_the_rule() -> None:
    assert api_keys.leaves_no_admin(revoking_live_admin_key=True, other_live_admin_keys=0, admin_passwords=0)
    assert not api_keys.leaves_no_admin(revoking_live_admin_key=True, other_live_admin_keys=1, admin_passwords=0)
    assert not api_keys.leaves_no_admin(revoking_live_admin_key=True, other_live_admin_keys=0, admin_passwords=1)
    assert not api_keys.leaves_no_admin(revoking_live_admin_key=False, other_live_admin_keys=0, admin_passwords=0)


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(migrate_sqlite("gateway", tmp_path / "gateway.db"))
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def _revoked(factory: sessionmaker[Session], key_id: int) -> bool:
    with factory() as session:
        key = session.get(ApiKey, key_id)
        assert key is not None
        return key.revoked_at is not None


def test_the_last_admin_key_stays_while_no_admin_can_sign_in(factory: sessionmaker[Session]) -> None:
    first, _ = access.create_api_key(factory=factory, name="first", is_admin=True)
    second, _ = access.create_api_key(factory=factory, name="second", is_admin=True)
    plain, _ = access.create_api_key(factory=factory, name="plain")
    assert key_revocation.revoke(factory=factory, key_id=plain, admin_emails=[])
    assert key_revocation.revoke(factory=factory, key_id=first, admin_emails=[])  # itself: another one is left
    with pytest.raises(errors.DomainError) as refused:
        key_revocation.revoke(factory=factory, key_id=second, admin_emails=[ADMIN])
    assert refused.value.code == errors.LAST_ADMIN_CREDENTIAL == "last_admin_credential"
    assert errors.HTTP_STATUS[refused.value.code] == 409
    assert not _revoked(factory, second)
    assert key_revocation.revoke(factory=factory, key_id=first, admin_emails=[])  # revoked again: a no-op
    assert not key_revocation.revoke(factory=factory, key_id=999, admin_emails=[])

    # a password of an agent who is not an active admin does not count; an active admin's does
    access.set_agent_password(factory=factory, email="bo@example.com", password="a long enough password")
    with pytest.raises(errors.DomainError):
        key_revocation.revoke(factory=factory, key_id=second, admin_emails=[ADMIN])
    access.set_agent_password(factory=factory, email=ADMIN, password="a long enough password")
    assert key_revocation.revoke(factory=factory, key_id=second, admin_emails=[" Ada@Example.com"])
    assert _revoked(factory, second)


def test_an_admin_key_of_an_agent_who_is_no_admin_is_no_admin_credential(factory: sessionmaker[Session]) -> None:
    capped, _ = access.create_api_key(factory=factory, name="capped", is_admin=True, agent_email="bo@example.com")
    last, _ = access.create_api_key(factory=factory, name="last", is_admin=True, agent_id=7)
    # Bo is no admin: his admin key acts as an agent, so it neither counts nor needs to stay
    with pytest.raises(errors.DomainError):
        key_revocation.revoke(factory=factory, key_id=last, admin_emails=[ADMIN], admin_ids=[7])
    assert key_revocation.revoke(factory=factory, key_id=capped, admin_emails=[ADMIN], admin_ids=[7])
    # once Bo is an admin, his key counts and the other may go
    other, _ = access.create_api_key(factory=factory, name="bo again", is_admin=True, agent_email="Bo@example.com")
    assert key_revocation.revoke(factory=factory, key_id=last, admin_emails=[ADMIN, "bo@example.com"], admin_ids=[7])
    assert not _revoked(factory, other)
