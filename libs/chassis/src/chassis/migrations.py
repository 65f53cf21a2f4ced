"""Alembic glue shared by every service: the body of each `migrations/env.py`, and `upgrade()`."""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text

from chassis.db import make_engine


def run_env(target_metadata: MetaData, url: str) -> None:
    """Run migrations for the current Alembic context (online; offline renders SQL)."""
    url = context.config.attributes.get("url") or url
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=pool.NullPool) if not url.startswith("sqlite") else make_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # replicas starting together must not migrate the same schema at once
            key = zlib.crc32(target_metadata.info.get("service", "helpdesk").encode())
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            connection.commit()
        elif connection.dialect.name == "sqlite":
            # batch mode rebuilds a table (copy, drop, rename); with foreign keys on, dropping a table that
            # others reference fails once it has rows. The pragma is a no-op inside a transaction, so it is set
            # outside SQLAlchemy's BEGIN; the check afterwards refuses a migration that really broke a reference.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_name=lambda name, type_, parent: not (type_ == "table" and (name or "").endswith("_fts")),
        )
        with context.begin_transaction():
            context.run_migrations()
            if connection.dialect.name == "sqlite":
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        connection.commit()
        if connection.dialect.name == "sqlite":
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    engine.dispose()


def upgrade(service_dir: Path, url: str, revision: str = "head") -> None:
    """`alembic upgrade head` for the service whose folder holds alembic.ini."""
    cfg = Config(str(service_dir / "alembic.ini"))
    cfg.set_main_option("script_location", str(service_dir / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, revision)
