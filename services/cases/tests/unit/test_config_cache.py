"""The configuration cache (decision 0112): a change committed here is seen at once, elsewhere within the TTL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from cases.common import config_cache, model_repo
from cases.config.tables import CaseStatus, CustomField, FieldConfig, Setting


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'cfg.db'}")
    Setting.metadata.create_all(
        engine,
        tables=[m.__table__ for m in (Setting, FieldConfig, CustomField, CaseStatus)],  # type: ignore[misc]
    )
    config_cache.clear()
    yield engine
    config_cache.clear()
    engine.dispose()


@pytest.fixture
def selects(engine: Engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    return seen


def _closed_reply(engine: Engine) -> str:
    with sessionmaker(engine)() as session:
        return model_repo.settings(session).closed_reply.value


def test_a_second_read_within_the_ttl_asks_the_database_nothing(engine: Engine, selects: list[str]) -> None:
    assert _closed_reply(engine) == "reopen"
    assert _closed_reply(engine) == "reopen"
    assert len(selects) == 1


def test_a_change_committed_in_this_process_is_seen_at_once(engine: Engine, selects: list[str]) -> None:
    assert _closed_reply(engine) == "reopen"
    with sessionmaker(engine)() as session, session.begin():
        session.add(Setting(key="closed_reply", value="follow_up"))
    assert _closed_reply(engine) == "follow_up"


def test_a_transaction_that_wrote_configuration_reads_its_own_write(engine: Engine) -> None:
    assert _closed_reply(engine) == "reopen"
    with sessionmaker(engine)() as session, session.begin():
        session.add(Setting(key="closed_reply", value="follow_up"))
        assert model_repo.settings(session).closed_reply.value == "follow_up"  # pending
        session.flush()
        assert model_repo.settings(session).closed_reply.value == "follow_up"  # flushed, not committed
        session.rollback()
    assert _closed_reply(engine) == "reopen"  # a rolled-back write never reached the cache


def test_a_change_made_elsewhere_is_seen_within_the_ttl(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_cache, "TTL_SECONDS", 0.2)
    assert _closed_reply(engine) == "reopen"
    with engine.begin() as conn:  # another process: no ORM, no event here
        conn.execute(
            text("INSERT INTO setting (key, value, updated_at) VALUES ('closed_reply', '\"follow_up\"', '2026-01-01')")
        )
    assert _closed_reply(engine) == "reopen"  # still cached
    time.sleep(0.25)
    assert _closed_reply(engine) == "follow_up"


def test_a_value_read_while_a_change_committed_is_not_kept(engine: Engine, selects: list[str]) -> None:
    def racing_load(session: Session) -> str:
        config_cache.clear()  # another greenthread committed a configuration change meanwhile
        return "old"

    with sessionmaker(engine)() as session:
        assert config_cache.cached(session, "x", racing_load) == "old"
        assert config_cache.cached(session, "x", lambda s: "new") == "new"


def test_field_rules_and_definitions_are_copies(engine: Engine) -> None:
    with sessionmaker(engine)() as session, session.begin():
        session.add(FieldConfig(field="tags", used=True, required=True))
    with sessionmaker(engine)() as session:
        rules = model_repo.field_rules(session)
        rules.clear()  # a caller changing its copy changes nothing for the next one
        assert model_repo.field_rules(session)["tags"].required is True
        assert model_repo.field_defs(session) == []


def test_switched_off(engine: Engine, selects: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_cache, "TTL_SECONDS", 0)
    _closed_reply(engine)
    _closed_reply(engine)
    assert len(selects) == 2
