"""Operator commands: `python -m cases migrate|seed`."""

from pathlib import Path

from cases.settings import CasesSettings
from chassis.migrations import upgrade

SERVICE_DIR = Path(__file__).resolve().parents[2]


def migrate() -> None:
    """Upgrade the schema to the newest migration (idempotent)."""
    url = CasesSettings().db_url
    if not url.startswith("sqlite"):
        upgrade(SERVICE_DIR, url)
        return
    # decision 0070: SQLite search triggers are lifted while migrations run, then restored
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from cases.common.search_sql import drop_sqlite_search_triggers, ensure_sqlite_search_objects
    from chassis.db import make_engine

    cfg = Config(str(SERVICE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(SERVICE_DIR / "migrations"))
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if set(MigrationContext.configure(connection).get_current_heads()) != heads:
                drop_sqlite_search_triggers(connection)
        upgrade(SERVICE_DIR, url)
        with engine.begin() as connection:
            ensure_sqlite_search_objects(connection)
    finally:
        engine.dispose()


def seed() -> None:
    """Create the demo workspace's part that this service owns (idempotent)."""
    from cases.seed import seed_demo

    seed_demo(CasesSettings())
