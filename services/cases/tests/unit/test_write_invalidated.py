"""The write-invalidated cache both configuration and scope caches are made of (decision 0155)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, String, create_engine, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from cases.common.write_invalidated import WriteInvalidatedCache
from chassis.db import new_base

Base: Any = new_base()


class Knob(Base):  # watched
    __tablename__ = "knob"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(20))


class Other(Base):  # not watched
    __tablename__ = "other"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)


CACHE = WriteInvalidatedCache("test_knobs", (Knob,), ttl_seconds=60.0, max_entries=8)


def _db(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with sessionmaker(engine).begin() as s:
        s.add(Knob(name="colour", value="red"))
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = _db(tmp_path / "a.db")
    CACHE.clear()
    yield engine
    CACHE.clear()
    engine.dispose()


def _colour(session: Session) -> str:
    return session.scalars(select(Knob.value).where(Knob.name == "colour")).one()


def _read(engine: Engine, loads: list[str] | None = None) -> str:
    def load(session: Session) -> str:
        value = _colour(session)
        if loads is not None:
            loads.append(value)
        return value

    with sessionmaker(engine)() as s:
        return CACHE.cached(s, "colour", load)


def test_an_orm_bulk_update_committed_here_empties_the_cache(engine: Engine) -> None:
    assert _read(engine) == "red"
    with sessionmaker(engine).begin() as s:
        s.execute(update(Knob).where(Knob.name == "colour").values(value="blue"))
    assert _read(engine) == "blue"
    with sessionmaker(engine).begin() as s:
        s.execute(insert(Knob).values(name="size", value="L"))
    assert not CACHE.entries


def test_a_write_of_another_model_or_by_text_keeps_the_cache(engine: Engine) -> None:
    loads: list[str] = []
    _read(engine, loads)
    with sessionmaker(engine).begin() as s:
        s.add(Other(name="x"))
        s.execute(update(Other).values(name="y"))
    with engine.begin() as conn:  # like another process: this one is not told
        conn.exec_driver_sql("UPDATE knob SET value = 'green'")
    assert _read(engine, loads) == "red"
    assert loads == ["red"]


def test_a_value_loaded_by_a_transaction_that_writes_is_not_kept(engine: Engine) -> None:
    def load_and_write(session: Session) -> str:
        value = _colour(session)
        session.add(Knob(name="size", value="S"))
        session.flush()
        return value

    with sessionmaker(engine)() as s:
        assert CACHE.cached(s, "colour", load_and_write) == "red"
        assert not CACHE.entries
        s.rollback()
    loads: list[str] = []
    _read(engine, loads)
    _read(engine, loads)
    assert loads == ["red"]  # the rolled-back write left no flag behind


def test_each_database_has_its_own_values(engine: Engine, tmp_path: Path) -> None:
    other = _db(tmp_path / "b.db")
    try:
        with other.begin() as conn:
            conn.exec_driver_sql("UPDATE knob SET value = 'black'")
        assert _read(engine) == "red"
        assert _read(other) == "black"
        assert _read(engine) == "red"
    finally:
        other.dispose()


def test_full_drops_expired_values_first_then_the_oldest(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("cases.common.write_invalidated.time.monotonic", lambda: clock[0])
    with sessionmaker(engine)() as s:
        for n in range(8):
            CACHE.cached(s, n, lambda _s, n=n: n)
        clock[0] += 61  # all expired
        CACHE.cached(s, "fresh", lambda _s: 1)
        assert [k for _, k in CACHE.entries] == ["fresh"]
        for n in range(7):
            CACHE.cached(s, n, lambda _s, n=n: n)
        CACHE.cached(s, "newest", lambda _s: 2)  # full and nothing expired: "fresh" goes
        assert len(CACHE.entries) == 8
        assert "fresh" not in [k for _, k in CACHE.entries]


def test_switched_off(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CACHE, "ttl_seconds", 0)
    loads: list[str] = []
    _read(engine, loads)
    _read(engine, loads)
    assert loads == ["red", "red"] and not CACHE.entries


def test_the_ttls_are_cases_settings_and_the_old_names_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    from cases.settings import CasesSettings

    for cache in ("SCOPE", "CONFIG"):
        monkeypatch.delenv(f"CASES_{cache}_CACHE_SECONDS", raising=False)
        monkeypatch.delenv(f"HELPDESK_{cache}_CACHE_SECONDS", raising=False)
    assert (CasesSettings().scope_cache_seconds, CasesSettings().config_cache_seconds) == (1.0, 1.0)
    monkeypatch.setenv("HELPDESK_SCOPE_CACHE_SECONDS", "0")
    monkeypatch.setenv("CASES_CONFIG_CACHE_SECONDS", "2.5")
    assert (CasesSettings().scope_cache_seconds, CasesSettings().config_cache_seconds) == (0.0, 2.5)
    monkeypatch.setenv("CASES_SCOPE_CACHE_SECONDS", "0.25")  # the new name wins
    assert CasesSettings().scope_cache_seconds == 0.25
