"""The attachment lookup's table (decision 0217): the migration fills it from the mails processed before it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from chassis.db import make_engine
from chassis.testing import pg_database
from mail_gateway.manage import SERVICE_DIR

SHA_A, SHA_B, RAW = "a" * 64, "b" * 64, "c" * 64


def _alembic(url: str) -> Config:
    cfg = Config(str(SERVICE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SERVICE_DIR / "migrations"))
    cfg.attributes["url"] = url
    return cfg


@pytest.fixture(params=["postgresql", "sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mg.db'}"
        return
    with pg_database("mg_attachments") as url:
        yield url


def test_the_migration_lists_the_attachments_of_every_mail_already_processed(db_url: str) -> None:
    cfg = _alembic(db_url)
    command.upgrade(cfg, "0004_imap_idle")
    engine = make_engine(db_url)
    mails = [
        [{"filename": "a.pdf", "sha256": SHA_A}, {"filename": "again.pdf", "sha256": SHA_A}],
        [{"filename": "b.pdf", "sha256": SHA_B}, {"filename": "a.pdf", "sha256": SHA_A}],
        [],
    ]
    try:
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO mailbox (address, name, active, created_at) VALUES ('s@x.example', 'S', :on, :at)"),
                {"on": True, "at": "2026-12-07 10:00:00+00"},
            )
            for number, attachments in enumerate(mails):
                conn.execute(
                    text(
                        "INSERT INTO inbound_mail (mailbox_id, source, rcpt_to, raw_sha256, raw_size, in_reply_to,"
                        ' "references", subject, status, attachments, defects, received_at)'
                        " VALUES (1, 'smtp', '[]', :raw, 10, '[]', '[]', 's', 'processed', :att, '[]', :at)"
                    ),
                    {"raw": f"{number}{RAW[1:]}", "att": json.dumps(attachments), "at": "2026-12-07 10:00:00+00"},
                )
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            listed = sorted(conn.execute(text("SELECT sha256, inbound_mail_id FROM inbound_attachment")).all())
        assert [tuple(r) for r in listed] == [(SHA_A, 1), (SHA_A, 2), (SHA_B, 2)]
        command.downgrade(cfg, "0004_imap_idle")
        command.upgrade(cfg, "head")  # down and up again: the same rows
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM inbound_attachment")).scalar() == 3
    finally:
        engine.dispose()
