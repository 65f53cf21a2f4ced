"""Database plumbing: one declarative base per service, engines that behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        # decision 0160: sessions of make_engine's PostgreSQL engines run with TimeZone=UTC, where psycopg already
        # hands back `datetime.UTC`-aware values: no per-value Python call (8 datetimes x 25 rows on a list page)
        if getattr(dialect, UTC_SESSIONS, False):
            return None
        return super().result_processor(dialect, coltype)


# set on the dialect of an engine whose PostgreSQL sessions all run with TimeZone=UTC (make_engine)
UTC_SESSIONS = "helpdesk_utc_sessions"


# how a service's models map plain Python annotations to column types
TYPE_ANNOTATION_MAP: dict[Any, Any] = {datetime: UTCDateTime(), dict[str, Any]: JSONType, list[Any]: JSONType}


def service_metadata(service: str) -> MetaData:
    """The metadata of one service's tables: its own (one database per service), with our naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION, info={"service": service})


def new_base() -> type[DeclarativeBase]:
    """A fresh declarative base with our naming convention (each service has its own metadata).

    Prefer a `class Base(DeclarativeBase)` with `service_metadata()` and `TYPE_ANNOTATION_MAP`, which the type
    checker can follow (see `chassis.outbox.outbox_tables`).
    """

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)
        type_annotation_map = TYPE_ANNOTATION_MAP

    return Base


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with SQLite made safe for several processes (WAL, busy timeout, foreign keys)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # let SQLAlchemy, not pysqlite, open transactions, so BEGIN IMMEDIATE works below
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # take the write lock up front: avoids SQLITE_BUSY deadlocks between reader-turned-writers
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # decision 0135: no `SELECT 1` before every checkout (a round trip per request on the hot reads);
    # only a connection that sat idle in the pool for IDLE_PING_SECONDS is checked (see _ping_when_idle)
    kwargs.setdefault("pool_pre_ping", False)
    if "poolclass" not in kwargs:  # NullPool (migrations) takes no pool sizing
        kwargs.setdefault("pool_size", 5)
        kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    engine = create_engine(url, **kwargs)
    if url.startswith("postgresql"):  # timestamps come back in UTC whatever the server's TimeZone (decision 0160)
        event.listen(engine, "connect", _utc_session)
        setattr(engine.dialect, UTC_SESSIONS, True)
    if not kwargs["pool_pre_ping"]:
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_when_idle)
    return engine


def _utc_session(dbapi_conn: Any, _record: Any) -> None:
    """`SET TIME ZONE 'UTC'` once per new connection (a `SET`, not a startup option: PgBouncer keeps TimeZone
    per client even in transaction pooling, and refuses unknown startup options)."""
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    try:
        dbapi_conn.execute("SET TIME ZONE 'UTC'")
    finally:
        dbapi_conn.autocommit = autocommit


IDLE_PING_SECONDS = 5.0  # a pooled connection idle longer than this is pinged before use (decision 0135)
POOL_RECYCLE_SECONDS = 1800  # and none is older than this (firewalls and proxies drop idle TCP sessions)


def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


def _ping_when_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection that was idle for a while; a dead one makes the pool connect afresh (up to 3 tries).

    A busy pool hands out connections used milliseconds ago, so the hot path pays nothing. A connection
    that died less than IDLE_PING_SECONDS ago fails its statement; SQLAlchemy then invalidates the whole
    pool, so only the statements in flight at that moment fail (as they would with a ping too)."""
    checked_in = record.info.get("checked_in_at")
    if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        if not getattr(dbapi_conn, "autocommit", True):
            dbapi_conn.rollback()  # psycopg opened a transaction for the ping; the session begins its own
    except Exception as exc:  # any failure: this connection is unusable
        raise DisconnectionError(f"pooled connection failed its idle ping: {exc}") from exc


# decision 0152: a nameko worker's PostgreSQL pool keeps as many connections as its greenthreads use at once
# (up to WORKER_POOL_CAP), plus the outbox relay and timers, so a burst does not open and close backends
WORKER_POOL_CAP = 20
WORKER_POOL_EXTRA = 3
WORKER_POOL_OVERFLOW = 5


def make_worker_engine(url: str, workers: int | None = None, **kwargs: Any) -> Engine:
    """`make_engine` for eventlet workers: on SQLite, one pooled connection that greenthreads queue for.

    On PostgreSQL, with `workers` (nameko's max_workers) the pool keeps min(workers, WORKER_POOL_CAP) +
    WORKER_POOL_EXTRA connections and opens at most WORKER_POOL_OVERFLOW more (decision 0152): at most 28
    per worker process; a greenthread beyond that waits for a pooled connection (`pool_timeout`).

    sqlite3 waits for the file lock inside C, which blocks eventlet's hub: while one greenthread
    holds a write transaction across network I/O (the outbox relay publishes inside its
    transaction), another one waiting on the lock freezes the whole process until the busy
    timeout. Queueing for the single connection in the (monkey-patched) pool yields instead.
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
    elif workers is not None and "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", min(max(workers, 1), WORKER_POOL_CAP) + WORKER_POOL_EXTRA)
        kwargs.setdefault("max_overflow", WORKER_POOL_OVERFLOW)
    return make_engine(url, **kwargs)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reads that need no transaction (decision 0135): on PostgreSQL in autocommit, so a
    read costs no BEGIN and no ROLLBACK round trip; each statement sees its own snapshot. Never write with one,
    nor rely on transaction-local settings (`SET LOCAL`, `set_config(..., true)`). SQLite: ordinary sessions."""
    if engine.dialect.name != "postgresql":
        return make_sessionmaker(engine)
    return sessionmaker(bind=engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dialect_insert(session: Session, table: Any) -> Any:
    """An INSERT for `table` with the backend's `on_conflict_do_nothing/do_update` (PostgreSQL and SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def ping(engine: Engine) -> str:
    """'ok' when the database answers (for /healthz)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return "ok"
