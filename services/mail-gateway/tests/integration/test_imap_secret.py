"""IMAP passwords at rest (decision 0087): the migration encrypts existing rows, on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from chassis.db import make_engine
from chassis.testing import pg_database
from mail_gateway.mailbox_secrets import PREFIX, SecretUnreadable, decrypt, encrypt
from mail_gateway.manage import SERVICE_DIR

SECRET = "migration-test-secret-0123456789abcdef0123"


def _alembic(url: str) -> Config:
    cfg = Config(str(SERVICE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SERVICE_DIR / "migrations"))
    cfg.attributes["url"] = url
    return cfg


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("HELPDESK_SECRET_KEY", SECRET)
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mg.db'}"
        return
    with pg_database("mg_secret") as url:
        yield url


def test_the_migration_encrypts_plaintext_passwords_and_downgrade_restores_them(db_url: str) -> None:
    cfg = _alembic(db_url)
    command.upgrade(cfg, "0002_imap_threading")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO mailbox (address, name, active, created_at, imap_host, imap_user, imap_password)"
                    " VALUES ('a@example.com', 'A', true, CURRENT_TIMESTAMP, 'imap.test', 'a', 'plain-pw-1'),"
                    " ('b@example.com', 'B', true, CURRENT_TIMESTAMP, NULL, NULL, NULL)"
                )
            )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT address, imap_password FROM mailbox")).all())
        assert stored["b@example.com"] is None
        assert stored["a@example.com"].startswith(PREFIX) and "plain-pw-1" not in stored["a@example.com"]
        assert decrypt(stored["a@example.com"], secret=SECRET) == "plain-pw-1"

        command.upgrade(cfg, "head")  # idempotent: an encrypted value is not encrypted twice
        with engine.connect() as conn:
            again = conn.execute(text("SELECT imap_password FROM mailbox WHERE address = 'a@example.com'")).scalar()
        assert again == stored["a@example.com"]

        command.downgrade(cfg, "0002_imap_threading")
        with engine.connect() as conn:
            plain = conn.execute(text("SELECT imap_password FROM mailbox WHERE address = 'a@example.com'")).scalar()
        assert plain == "plain-pw-1"
    finally:
        engine.dispose()


def test_a_token_opens_only_under_its_own_secret() -> None:
    token = encrypt("s3cret", secret=SECRET)
    assert token != encrypt("s3cret", secret=SECRET)  # random IV: equal passwords do not look equal
    assert decrypt(token, secret="another-secret-0123456789abcdef012345", previous=[SECRET]) == "s3cret"
    with pytest.raises(SecretUnreadable):
        decrypt(token, secret="another-secret-0123456789abcdef012345")
    with pytest.raises(SecretUnreadable):
        decrypt("plain-text", secret=SECRET)
    assert decrypt(None, secret=SECRET) == ""
