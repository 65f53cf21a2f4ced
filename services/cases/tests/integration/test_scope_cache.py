"""The per-viewer scope cache (decision 0154): a membership change committed in this process takes effect
at once; one committed by another process within the bound (`TTL_SECONDS`), never later; nothing widens."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, event, text
from sqlalchemy.orm import Session, sessionmaker

from cases.directory.tables import Agent, Group, GroupMember
from cases.search import reads_filters as filters
from cases.search import reads_scope_cache as scope_cache
from chassis.db import make_engine, make_sessionmaker
from chassis.testing import pg_database
from contracts.search import Viewer

TTL = 0.5


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[sessionmaker[Session], str, dict[str, int]]]:
    monkeypatch.setattr(scope_cache, "TTL_SECONDS", TTL)
    with pg_database("scope") as url:
        engine = make_engine(url)
        Agent.metadata.create_all(engine, tables=[m.__table__ for m in (Agent, Group, GroupMember)])
        factory = make_sessionmaker(engine)
        with factory() as s, s.begin():
            ada, hr, support = Agent(email="ada@example.com"), Group(name="HR", restricted=True), Group(name="Support")
            s.add_all([ada, hr, support])
            s.flush()
            s.add_all([GroupMember(group_id=hr.id, agent_id=ada.id), GroupMember(group_id=support.id, agent_id=ada.id)])
            ids = {"ada": ada.id, "hr": hr.id, "support": support.id}
        scope_cache.clear()
        yield factory, url, ids
        scope_cache.clear()
        engine.dispose()


def _scope(factory: sessionmaker[Session], agent_id: int, seen: list[str] | None = None) -> filters.Scope:
    with factory() as s:
        if seen is not None:
            event.listen(s.connection(), "before_cursor_execute", lambda *a: seen.append(a[2]))
        return filters.load_scope(s, Viewer(agent_id=agent_id))


def test_a_second_view_within_the_bound_asks_the_database_nothing(world: Any) -> None:
    factory, _, ids = world
    seen: list[str] = []
    assert ids["hr"] not in _scope(factory, ids["ada"], seen).hidden_group_ids
    assert len(seen) == 1
    assert ids["hr"] not in _scope(factory, ids["ada"], seen).hidden_group_ids
    assert len(seen) == 1
    time.sleep(TTL)
    _scope(factory, ids["ada"], seen)
    assert len(seen) == 2  # expired: loaded again


def test_removal_from_a_restricted_group_here_takes_effect_at_once(world: Any) -> None:
    factory, _, ids = world
    assert ids["hr"] not in _scope(factory, ids["ada"]).hidden_group_ids
    with factory() as s, s.begin():  # the admin RPC's way (directory.save_group / save_agent)
        s.delete(s.get(GroupMember, (ids["hr"], ids["ada"])))
    assert ids["hr"] in _scope(factory, ids["ada"]).hidden_group_ids


def test_a_bulk_delete_here_takes_effect_at_once(world: Any) -> None:
    factory, _, ids = world
    assert ids["hr"] not in _scope(factory, ids["ada"]).hidden_group_ids
    with factory() as s, s.begin():  # sla/admin.delete_group's way: an ORM bulk DELETE, no flush
        s.execute(delete(GroupMember).where(GroupMember.group_id == ids["hr"]))
    assert ids["hr"] in _scope(factory, ids["ada"]).hidden_group_ids


def test_a_transaction_that_changed_memberships_reads_its_own_change(world: Any) -> None:
    factory, _, ids = world
    assert ids["hr"] not in _scope(factory, ids["ada"]).hidden_group_ids
    with factory() as s, s.begin():
        s.delete(s.get(GroupMember, (ids["hr"], ids["ada"])))
        s.flush()
        assert ids["hr"] in filters.load_scope(s, Viewer(agent_id=ids["ada"])).hidden_group_ids
        s.rollback()
    assert ids["hr"] not in _scope(factory, ids["ada"]).hidden_group_ids  # rolled back: still a member


def test_removal_by_another_process_takes_effect_within_the_bound(world: Any) -> None:
    factory, url, ids = world
    assert ids["hr"] not in _scope(factory, ids["ada"]).hidden_group_ids
    removed_at = time.monotonic()
    other = (  # a second cases worker (or SQL by hand): this process is not told
        "import sys, psycopg\n"
        "with psycopg.connect(sys.argv[1].replace('postgresql+psycopg://', 'postgresql://')) as c:\n"
        "    c.execute('DELETE FROM group_member WHERE group_id = %s AND agent_id = %s',\n"
        "              (int(sys.argv[2]), int(sys.argv[3])))\n"
    )
    subprocess.run([sys.executable, "-c", other, url, str(ids["hr"]), str(ids["ada"])], check=True, timeout=60)
    while ids["hr"] not in _scope(factory, ids["ada"]).hidden_group_ids:
        assert time.monotonic() - removed_at < TTL, "a removed member kept access beyond the bound"
        time.sleep(0.02)
    # and a new restricted group made elsewhere hides its cases from non-members within the bound too
    with factory() as s:
        s.execute(text("INSERT INTO \"group\" (name, restricted, created_at) VALUES ('Legal', true, now())"))
        s.commit()  # a textual statement: the cache is not told, like another process
    legal = int(_one(factory, "SELECT id FROM \"group\" WHERE name = 'Legal'"))
    deadline = time.monotonic() + TTL + 0.05
    while legal not in _scope(factory, ids["ada"]).hidden_group_ids:
        assert time.monotonic() < deadline, "a new restricted group stayed visible beyond the bound"
        time.sleep(0.02)


def test_the_cache_is_bounded_and_can_be_switched_off(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    factory, _, ids = world
    monkeypatch.setattr(scope_cache, "MAX_ENTRIES", 3)
    with factory() as s:
        for n in range(5):
            filters.load_scope(s, Viewer(agent_id=None, is_admin=bool(n % 2)), visibility_only=n > 2)
            filters.load_scope(s, Viewer(agent_id=ids["ada"], is_admin=bool(n % 2)))
    assert len(scope_cache._entries) <= 3
    monkeypatch.setattr(scope_cache, "TTL_SECONDS", 0)
    scope_cache.clear()
    seen: list[str] = []
    _scope(factory, ids["ada"], seen)
    _scope(factory, ids["ada"], seen)
    assert len(seen) == 2 and not scope_cache._entries


def _one(factory: sessionmaker[Session], sql: str) -> Any:
    with factory() as s:
        return s.execute(text(sql)).scalar_one()


def test_a_case_detail_sees_a_group_made_restricted_here_at_once(world: Any) -> None:
    factory, _, ids = world
    bo = Viewer(agent_id=None)  # an API client without an agent: sees no restricted group
    with factory() as s:
        seen: list[str] = []
        event.listen(s.connection(), "before_cursor_execute", lambda *a: seen.append(a[2]))
        assert filters.may_see_case(s, bo, ids["support"], None)
        assert filters.may_see_case(s, bo, ids["support"], None)
        assert not filters.may_see_case(s, bo, ids["hr"], None)
        assert len(seen) == 2  # the restricted groups once, the caller's scope once
    with factory() as s, s.begin():
        s.get(Group, ids["support"]).restricted = True
    with factory() as s:
        assert not filters.may_see_case(s, bo, ids["support"], None)
