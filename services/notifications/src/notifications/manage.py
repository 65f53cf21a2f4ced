"""Operator commands: `python -m notifications migrate|seed`."""

from pathlib import Path

from chassis.migrations import upgrade
from notifications.settings import NotificationsSettings

SERVICE_DIR = Path(__file__).resolve().parents[2]


def migrate() -> None:
    """Upgrade the schema to the newest migration (idempotent)."""
    upgrade(SERVICE_DIR, NotificationsSettings().db_url)


def seed() -> None:
    """Create the demo workspace's part that this service owns (idempotent); nothing yet."""
