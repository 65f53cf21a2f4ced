"""Pooled PostgreSQL connections without a ping per checkout (decision 0135), on a real server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from chassis import db
from chassis.db import make_engine, make_read_sessionmaker, make_sessionmaker
from chassis.testing import pg_database


@pytest.fixture
def url() -> Iterator[str]:
    with pg_database("chassis_pool") as found:
        yield found


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def _pooled_pid(engine: Engine, last: str = "SELECT 42") -> int:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        conn.execute(text(last))
    return pid


def _last_query(url: str, pid: int) -> str:
    with _admin(url) as admin:
        row = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
    return str(row[0]) if row else ""


def test_a_connection_reused_at_once_is_not_pinged(url: str) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        pid = _pooled_pid(engine)
        with engine.connect() as conn:  # checked out again within IDLE_PING_SECONDS: no round trip
            assert _last_query(url, pid) == "SELECT 42"
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
    finally:
        engine.dispose()


def test_a_connection_idle_for_a_while_is_pinged_and_replaced_when_dead(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.2)
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        pid = _pooled_pid(engine)
        time.sleep(0.3)
        with engine.connect():  # idle long enough: pinged (the server saw a statement we did not send)
            assert _last_query(url, pid) != "SELECT 42"
        with _admin(url) as admin:  # the server drops it (a restart, a proxy, an idle timeout)
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.3)
        with engine.connect() as conn:  # the ping fails, the pool connects afresh: the caller sees nothing
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()


def test_a_connection_that_died_moments_ago_fails_once_then_the_pool_recovers(url: str) -> None:
    engine = make_engine(url, pool_size=2, max_overflow=0)
    try:
        pid = _pooled_pid(engine)
        with _admin(url) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(DBAPIError) as failed, engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert failed.value.connection_invalidated  # the pool drops every connection older than this
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_read_sessions_run_without_a_transaction(url: str) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)  # one connection: the write below reuses it
    try:
        with make_read_sessionmaker(engine)() as session:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            assert _last_query(url, pid) == "SELECT pg_backend_pid()"  # no BEGIN before it
            assert session.execute(text("SELECT txid_current_if_assigned() IS NULL")).scalar_one()
            with _admin(url) as admin:
                state = admin.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
            assert state is not None and state[0] == "idle"  # not "idle in transaction"
        with make_sessionmaker(engine)() as session:  # the same connection, back in transactions for writes
            assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
            with _admin(url) as admin:
                state = admin.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
            assert state is not None and state[0] == "idle in transaction"
    finally:
        engine.dispose()


def test_sessions_run_in_utc_and_timestamps_come_back_utc_aware(url: str) -> None:
    """Decision 0160: make_engine's PostgreSQL sessions use TimeZone=UTC whatever the server's default, so
    `UTCDateTime` columns need no per-value conversion and still read as `datetime.UTC`-aware values."""
    from datetime import UTC, datetime

    from sqlalchemy import Column, Integer, MetaData, Table, insert, select

    with _admin(url) as admin:  # a server whose sessions default to another zone
        admin.execute(f"ALTER DATABASE \"{url.rsplit('/', 1)[1]}\" SET TimeZone = 'Europe/Oslo'")
    table = Table("stamps", MetaData(), Column("id", Integer, primary_key=True), Column("at", db.UTCDateTime()))
    at = datetime(2026, 7, 1, 22, 30, 15, 123456, tzinfo=UTC)
    engine = make_engine(url)
    try:
        assert getattr(engine.dialect, db.UTC_SESSIONS) is True
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(insert(table).values(id=1, at=at))
        with engine.connect() as conn:
            assert conn.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
            got = conn.execute(select(table.c.at)).scalar_one()
        assert got == at and got.tzinfo is UTC and got.isoformat() == "2026-07-01T22:30:15.123456+00:00"
        with _admin(url) as admin:  # the server's own default did apply to other sessions
            assert admin.execute("SHOW TimeZone").fetchone() == ("Europe/Oslo",)
            local = admin.execute("SELECT at FROM stamps").fetchone()[0]
        assert local == at and local.utcoffset() != at.utcoffset()
    finally:
        engine.dispose()
