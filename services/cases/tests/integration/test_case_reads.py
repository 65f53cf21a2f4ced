"""The read path (cases.common.case_rows): the same `CaseRead` as the ORM's `repo.case_read`, from
two statements whatever the number of cases, on PostgreSQL and SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from cases.case import reads as queries
from cases.case.tables import Case, CaseCustomValue, CaseFollower, CaseTag
from cases.common import case_rows as case_reads
from cases.common import names as directory_names
from cases.common import repo
from cases.config.tables import CaseStatus, CaseType
from cases.directory.tables import Agent, Contact, ContactEmail, Group, GroupMember, Organisation
from cases.search import reads_filters as search_filters
from cases.search import reads_scope_cache as scope_cache
from cases.search import reads_views as views
from chassis.db import make_engine, make_sessionmaker
from chassis.testing import pg_database
from contracts.cases import CasePage
from contracts.errors import NotFound
from contracts.search import Viewer

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _migrate(url: str) -> None:
    env = {**os.environ, "HELPDESK_ENV": "test", "CASES_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "cases", "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def _seed(factory: Any) -> dict[str, Any]:
    with factory() as s, s.begin():
        ada = Agent(email="ada@example.com", name="Ada")
        bo = Agent(email="bo@example.com", name="Bo")
        support = Group(name="Support")
        hr = Group(name="HR", restricted=True)
        org = Organisation(name="Fjordkraft")
        kind = CaseType(name="Incident", instructions="Call them back")
        s.add_all([ada, bo, support, hr, org, kind])
        s.flush()
        s.add_all([GroupMember(group_id=support.id, agent_id=ada.id), GroupMember(group_id=hr.id, agent_id=bo.id)])
        ola = Contact(name="Ola Nordmann", organisation_id=org.id, phone="+4790000000", preferred_channel="sms")
        kari = Contact(name="Kari")
        per = Contact(name="Per")
        s.add_all([ola, kari, per])
        s.flush()
        s.add_all(  # two addresses each: the first (lowest id) is the one shown
            [
                ContactEmail(contact_id=ola.id, email="ola@fjordkraft.no"),
                ContactEmail(contact_id=ola.id, email="ola.privat@example.no"),
                ContactEmail(contact_id=per.id, email="per@example.no"),
            ]
        )
        status = s.scalar(select(CaseStatus).order_by(CaseStatus.id).limit(1))
        full = Case(
            number=1,
            title="Skrivaren",
            description="Blåskjerm",
            status="open",
            priority="high",
            source="email",
            requester_id=ola.id,
            assignee_id=ada.id,
            group_id=support.id,
            organisation_id=org.id,
            type_id=kind.id,
            status_id=status.id if status else None,
            category="hardware",
            due_at=T0 + timedelta(days=2),
            mailbox="support@example.com",
            created_at=T0,
            updated_at=T0 + timedelta(hours=2),
        )
        bare = Case(number=2, title="Bare", status="open", priority="low", source="api", created_at=T0, updated_at=T0)
        hidden = Case(
            number=3, title="Lønn", status="open", priority="medium", source="api", group_id=hr.id, updated_at=T0
        )
        mine = Case(
            number=4, title="Mine", status="waiting", priority="urgent", source="portal", assignee_id=ada.id,
            requester_id=kari.id, created_at=T0, updated_at=T0 + timedelta(hours=1),
        )  # fmt: skip
        s.add_all([full, bare, hidden, mine])
        s.flush()
        s.add_all([CaseTag(case_id=full.id, tag="vip"), CaseTag(case_id=full.id, tag="printer")])
        s.add_all([CaseTag(case_id=mine.id, tag="printer")])
        s.add_all(
            [
                CaseCustomValue(case_id=full.id, field_key="region", value="Vest"),
                CaseCustomValue(case_id=full.id, field_key="asset", value="PR-7"),
            ]
        )
        s.add_all([CaseFollower(case_id=full.id, contact_id=per.id), CaseFollower(case_id=full.id, contact_id=kari.id)])
        s.add(CaseFollower(case_id=mine.id, contact_id=ola.id))
        s.flush()
        return {"ids": [full.id, bare.id, hidden.id, mine.id], "ada": ada.id, "bo": bo.id, "hidden": hidden.id}


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict]]:
    if request.param == "postgresql":
        with pg_database("casereads") as url:
            _migrate(url)
            engine = make_engine(url)
            try:
                factory = make_sessionmaker(engine)
                yield factory, _seed(factory)
            finally:
                engine.dispose()
    else:
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('casereads')) / 'cases.db'}"
        _migrate(url)
        engine = make_engine(url)
        try:
            factory = make_sessionmaker(engine)
            yield factory, _seed(factory)
        finally:
            engine.dispose()


@pytest.fixture(autouse=True)
def names_kept(world: tuple[Any, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    """The statement counts below are of the cases themselves: the kept directory names (0162) are read first
    and kept for the whole test, however slow the machine (their own statement is tested on its own)."""
    monkeypatch.setattr(directory_names, "TTL_SECONDS", 3600.0)
    directory_names.clear()
    factory, _ = world
    with factory() as s:
        directory_names.names_for(s, set(), set(), set(), set())


def _collections_apart(session: Session) -> int:
    """Statements a read of cases adds for their collections: 0 on PostgreSQL (arrays in the cases' statement,
    decision 0164), 1 on SQLite (the `UNION ALL` statement)."""
    return 0 if session.get_bind().dialect.name == "postgresql" else 1


def _counting(session: Session) -> list[str]:
    """The statements `session` runs from now on (SQLite's `BEGIN IMMEDIATE` of chassis.db not counted)."""
    seen: list[str] = []

    def _note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", _note)
    return seen


def test_the_same_case_reads_as_the_orm(world: tuple[Any, dict]) -> None:
    factory, seeded = world
    with factory() as s:
        expected = [repo.case_read(s.get(Case, i)).model_dump() for i in seeded["ids"]]
    with factory() as s:
        got = [r.model_dump() for r in case_reads.read_cases(s, seeded["ids"])]
    assert got == expected
    full = got[0]
    assert full["requester"]["email"] == "ola@fjordkraft.no" and full["requester"]["preferred_channel"] == "sms"
    assert full["tags"] == ["printer", "vip"] and full["custom_fields"] == {"region": "Vest", "asset": "PR-7"}
    assert [f["name"] for f in full["followers"]] == ["Kari", "Per"]  # by contact id, as the ORM orders them
    assert full["type"]["instructions"] == "Call them back" and full["organisation"]["name"] == "Fjordkraft"
    assert got[1]["requester"] is None and got[1]["tags"] == [] and got[1]["followers"] == []


def test_a_page_is_written_as_the_same_json_as_the_orm_models(world: tuple[Any, dict]) -> None:
    """Lists answer with `CaseRows` (dicts written by pydantic_core, decision 0160): byte for byte the JSON of a
    `CasePage` of the ORM's `CaseRead`s, on both backends; `.items` validates into the same models. On PostgreSQL
    both ways of reading the collections are compared: arrays in the cases' statement (decision 0164), and the
    separate statement."""
    factory, seeded = world
    with factory() as s:
        orm = [repo.case_read(s.get(Case, i)) for i in seeded["ids"]]
    expected = CasePage(items=orm, next="next-cursor").model_dump_json()
    with factory() as s:
        for query in {case_reads.cases_select(s), case_reads.cases_select()}:
            rows = s.connection().execute(query.where(Case.id.in_(seeded["ids"]))).all()
            by_id = {r.id: r for r in rows}
            page = case_reads.CaseRows(case_reads.case_dicts(s, [by_id[i] for i in seeded["ids"]]), "next-cursor")
            assert page.model_dump_json() == expected
            assert page.items == orm and page.model() == CasePage(items=orm, next="next-cursor")
            assert '"preferred_channel":"sms"' in page.model_dump_json()  # the fully populated case is in it
            assert '"followers":[{"id"' in page.model_dump_json() and '"custom_fields":{"' in page.model_dump_json()


def test_one_or_two_statements_for_any_number_of_cases(world: tuple[Any, dict]) -> None:
    factory, seeded = world
    for ids in (seeded["ids"][:1], seeded["ids"]):
        with factory() as s:
            seen = _counting(s)
            assert len(case_reads.read_cases(s, ids)) == len(ids)
            assert len(seen) == 1 + _collections_apart(s)
    with factory() as s:
        seen = _counting(s)
        assert case_reads.read_cases(s, [999_999]) == [] and len(seen) == 1
        assert case_reads.read_case(s, 999_999) is None


def test_directory_names_are_read_once_and_again_for_an_id_they_lack(world: tuple[Any, dict]) -> None:
    """Assignee, group, status and type names come from one statement kept per process (decision 0162); an
    agent stored by another process is found at once, a rename made here is seen at the next read."""
    factory, seeded = world
    full = seeded["ids"][0]
    directory_names.clear()
    with factory() as s:
        seen = _counting(s)
        read = case_reads.read_case(s, full)
        assert read is not None and read.assignee is not None and read.assignee.name == "Ada"
        assert read.group is not None and read.type is not None and read.status_name is not None
        # cases, names (and the collections on SQLite)
        assert len(seen) == 2 + _collections_apart(s) and sum("FROM agent" in q for q in seen) == 1
    with factory() as s:
        seen = _counting(s)
        assert case_reads.read_case(s, full) == read and len(seen) == 1 + _collections_apart(s)  # kept
    with factory() as s, s.begin():  # "another process": plain SQL, which no cache of this process sees
        s.execute(
            text(
                "INSERT INTO agent (email, name, role, active, created_at)"
                " VALUES ('cy@example.com', 'Cy', 'agent', true, CURRENT_TIMESTAMP)"
            )
        )
        cy = s.scalar(text("SELECT id FROM agent WHERE email = 'cy@example.com'"))
        s.execute(text('UPDATE "case" SET assignee_id = :cy WHERE id = :id'), {"cy": cy, "id": full})
    try:
        with factory() as s:
            seen = _counting(s)
            moved = case_reads.read_case(s, full)
            assert moved is not None and moved.assignee is not None and moved.assignee.email == "cy@example.com"
            assert len(seen) == 2 + _collections_apart(s)  # the kept names lacked Cy: read again
        with factory() as s, s.begin():  # a rename committed by this process empties the kept names at commit
            agent = s.get(Agent, cy)
            assert agent is not None
            agent.name = "Cyrus"
        with factory() as s:
            renamed = case_reads.read_case(s, full)
            assert renamed is not None and renamed.assignee is not None and renamed.assignee.name == "Cyrus"
    finally:
        with factory() as s, s.begin():
            s.execute(text('UPDATE "case" SET assignee_id = :ada WHERE id = :id'), {"ada": seeded["ada"], "id": full})
            s.execute(text("DELETE FROM agent WHERE email = 'cy@example.com'"))


def test_case_detail_in_one_or_two_statements_and_scoped(world: tuple[Any, dict]) -> None:
    factory, seeded = world
    ada = Viewer(agent_id=seeded["ada"], is_admin=False)
    with factory() as s:
        queries.get_case(session=s, case_id=seeded["ids"][0], viewer=ada)  # names and restricted groups kept
    with factory() as s:
        seen = _counting(s)
        read = queries.get_case(session=s, case_id=seeded["ids"][0], viewer=ada)
        assert read.title == "Skrivaren" and len(seen) == 1 + _collections_apart(s)
    with factory() as s, pytest.raises(NotFound):  # HR is restricted and Ada is not in it
        queries.get_case(session=s, case_id=seeded["hidden"], viewer=ada)
    with factory() as s, pytest.raises(NotFound):
        queries.get_case(session=s, case_id=999_999, viewer=ada)
    with factory() as s:  # a member of the restricted group, and an admin key, see it
        assert (
            queries.get_case(session=s, case_id=seeded["hidden"], viewer=Viewer(agent_id=seeded["bo"])).title == "Lønn"
        )
        assert queries.get_case(session=s, case_id=seeded["hidden"], viewer=Viewer(agent_id=None, is_admin=True))


def test_view_page_uses_the_batched_reads(world: tuple[Any, dict]) -> None:
    factory, seeded = world
    viewer = Viewer(agent_id=seeded["ada"], is_admin=False)
    scope_cache.clear()  # an earlier test's detail may have cached Ada's scope (decision 0154)
    with factory() as s:
        seen = _counting(s)
        page = views.view_cases(s, "mine", search_filters.load_scope(s, viewer), None, 25)
        # newest activity first; scope = agent + memberships + restricted groups (1), then 1 for the page with its
        # collections (PostgreSQL, decision 0164) or 2 (SQLite)
        assert [c.title for c in page.items] == ["Skrivaren", "Mine"]
        assert len(seen) == 2 + _collections_apart(s)
    with factory() as s:  # the next request within a second: the scope comes from the process cache
        seen = _counting(s)
        views.view_cases(s, "mine", search_filters.load_scope(s, viewer), None, 25)
        assert len(seen) == 1 + _collections_apart(s)
        assert page.items[1].followers[0].email == "ola@fjordkraft.no"
    with factory() as s:
        page1 = views.view_cases(s, "mine", search_filters.load_scope(s, viewer), None, 1)
        assert page1.next is not None and [c.title for c in page1.items] == ["Skrivaren"]
        page2 = views.view_cases(s, "mine", search_filters.load_scope(s, viewer), page1.next, 1)
        assert [c.title for c in page2.items] == ["Mine"] and page2.next is None


def test_my_groups_first_page_is_a_statement_without_parameters(world: tuple[Any, dict]) -> None:
    """The kept first page of `my_groups` carries its group ids and limit as literals (decision 0164): with no
    parameter, PostgreSQL plans the prepared statement once per connection, not on every execution. (SQLite
    has no such plan cache; its dialect adds `OFFSET ?` to every LIMIT.)"""
    factory, seeded = world
    bo = Viewer(agent_id=seeded["bo"], is_admin=False)  # in HR (restricted), hidden from nobody
    with factory() as s:
        sent: list[tuple[str, Any]] = []
        event.listen(
            s.get_bind(), "before_cursor_execute", lambda _c, _cur, sql, params, *_a: sent.append((sql, params))
        )
        scope = search_filters.load_scope(s, bo)
        for _kept in range(2):  # built, then kept: the same statement, the same answer
            sent.clear()
            page = views.view_cases(s, "my_groups", scope, None, 25)
            assert [c.id for c in page.items] == [seeded["hidden"]]
            sql, params = sent[0]  # the page (on PostgreSQL with its collections)
            assert " LIMIT 26" in sql and "group_id IN (" in sql
            if s.get_bind().dialect.name == "postgresql":
                assert params == {}


def test_unknown_agent_has_no_scope(world: tuple[Any, dict]) -> None:
    factory, _ = world
    with factory() as s, pytest.raises(NotFound):
        search_filters.load_scope(s, Viewer(agent_id=999_999, is_admin=False))
