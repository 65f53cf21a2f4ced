"""Operator commands: `python -m mail_gateway migrate|seed`."""

from pathlib import Path

from sqlalchemy import select

from chassis.db import make_engine, make_sessionmaker, unit_of_work
from chassis.migrations import upgrade
from mail_gateway.db.models import Mailbox
from mail_gateway.settings import MailGatewaySettings

SERVICE_DIR = Path(__file__).resolve().parents[2]

DEMO_MAILBOXES = [{"address": "support@example.com", "name": "Support", "default_group": "Support"}]


def migrate() -> None:
    """Upgrade the schema to the newest migration (idempotent)."""
    upgrade(SERVICE_DIR, MailGatewaySettings().db_url)


def seed() -> None:
    """Create the demo mailbox(es) this service owns (idempotent: existing ones are left as they are)."""
    engine = make_engine(MailGatewaySettings().db_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            for mailbox in DEMO_MAILBOXES:
                if session.scalar(select(Mailbox.id).where(Mailbox.address == mailbox["address"])) is None:
                    session.add(Mailbox(**mailbox, active=True))
    finally:
        engine.dispose()
