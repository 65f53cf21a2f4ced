"""Operator commands: `python -m cases migrate|seed`."""

from pathlib import Path

from cases.settings import CasesSettings
from chassis.migrations import upgrade

SERVICE_DIR = Path(__file__).resolve().parents[2]


def migrate() -> None:
    """Upgrade the schema to the newest migration (idempotent)."""
    upgrade(SERVICE_DIR, CasesSettings().db_url)


def seed() -> None:
    """Create the demo workspace's part that this service owns (idempotent)."""
    from cases.seed import seed_demo

    seed_demo(CasesSettings())
