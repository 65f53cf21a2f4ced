"""Search, advanced filters, sorts, views and saved searches against the migrated schema, on both
backends: PostgreSQL (tsvector + trigram) and SQLite (FTS5). Rows are written with plain INSERTs so
the database's own triggers and generated columns are what keeps search and views right."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, event, select, text, update
from sqlalchemy.orm import Session

from cases.attachments.tables import CaseAttachment
from cases.case.tables import Case, CaseCustomValue, CaseTag, Mention, Message
from cases.config.tables import CustomField
from cases.directory.tables import Agent, Contact, ContactEmail, Group, GroupMember, Organisation
from cases.search import reads_filters as search_filters
from cases.search import reads_global as global_search
from cases.search import reads_listing as listing
from cases.search import reads_saved as saved
from cases.search import reads_views as views
from cases.search import writes_saved
from cases.search.tables import SavedSearch
from cases.tasks.tables import CaseTask
from chassis.db import make_engine, make_sessionmaker
from chassis.testing import pg_database
from contracts.cases import CaseFilter, CaseSort, Priority, Status
from contracts.errors import AgentRequired, DomainError, InvalidFilter, NotFound, ValidationFailed
from contracts.search import SavedSearchUpdate, SavedSearchWrite, SearchFilters, Viewer

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass
class World:
    dialect: str
    factory: Any
    ids: dict[str, int]

    def session(self) -> Session:
        return self.factory()


def _migrate(url: str) -> None:
    env = {**os.environ, "HELPDESK_ENV": "test", "CASES_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "cases", "migrate"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def _case(session: Session, number: int, title: str, **kw: Any) -> Case:
    at = T0 + timedelta(hours=number)
    case = Case(
        number=number,
        title=title,
        description=kw.pop("description", ""),
        status=kw.pop("status", "open"),
        priority=kw.pop("priority", "medium"),
        source=kw.pop("source", "email"),
        created_at=kw.pop("created_at", at),
        updated_at=kw.pop("updated_at", at),
        **kw,
    )
    session.add(case)
    session.flush()
    return case


def _message(session: Session, case: Case, author: str, body: str, minutes: int, **kw: Any) -> Message:
    message = Message(
        case_id=case.id,
        author_type=author,
        visibility=kw.pop("visibility", "public"),
        channel="email",
        body_text=body,
        kind=kw.pop("kind", "reply"),
        created_at=case.created_at + timedelta(minutes=minutes),
        **kw,
    )
    session.add(message)
    session.flush()
    return message


def _seed(factory: Any) -> dict[str, int]:
    with factory() as s, s.begin():
        ids: dict[str, int] = {}
        ada = Agent(email="ada@example.com", name="Ada")
        bo = Agent(email="bo@example.com", name="Bo")
        boss = Agent(email="boss@example.com", name="Boss", is_admin=True)
        support = Group(name="Support")
        hr = Group(name="HR", restricted=True)
        s.add_all([ada, bo, boss, support, hr])
        s.flush()
        s.add_all([GroupMember(group_id=support.id, agent_id=ada.id), GroupMember(group_id=hr.id, agent_id=bo.id)])
        org = Organisation(name="Fjordkraft Nordvest")
        s.add(org)
        s.flush()
        ola = Contact(name="Ola Nordmann", organisation_id=org.id)
        greta = Contact(name="Grete Müller")
        s.add_all([ola, greta])
        s.flush()
        s.add_all(
            [
                ContactEmail(contact_id=ola.id, email="ola@fjordkraft.no"),
                ContactEmail(contact_id=greta.id, email="grete@beispiel.de"),
            ]
        )
        s.add(CustomField(key="region", label="Region", type="text"))
        c1 = _case(
            s,
            1,
            "Skrivaren på kontoret skriver ikke ut",
            description="Blåskjerm og ærlig talt øyeblikkelig feil",
            assignee_id=ada.id,
            group_id=support.id,
            requester_id=ola.id,
            organisation_id=org.id,
            priority="high",
        )
        c2 = _case(
            s,
            2,
            "Der Netzwerkdrucker druckt nicht",
            description="Größere Störung im Büro, Straße 5",
            assignee_id=ada.id,
            requester_id=greta.id,
            priority="urgent",
            source="portal",
        )
        c3 = _case(s, 3, "Lönespecifikation saknas", description="Hälsningar från löneavdelningen", group_id=hr.id)
        c4 = _case(s, 4, "Old printer question", status="resolved", assignee_id=ada.id, priority="low")
        c5 = _case(s, 5, "Closed request", status="closed", assignee_id=ada.id)
        c6 = _case(s, 6, "Task holder", assignee_id=bo.id, group_id=support.id)
        for n in range(7, 19):  # paging material: equal priorities and timestamps force the id tie-break
            _case(s, n, f"Bulk case {n}", created_at=T0, updated_at=T0 + timedelta(days=n % 3), priority="medium")
        s.add_all([CaseTag(case_id=c1.id, tag="printer"), CaseTag(case_id=c2.id, tag="printer")])
        s.add(CaseTag(case_id=c2.id, tag="vip"))
        s.add(CaseCustomValue(case_id=c1.id, field_key="region", value="Vest"))
        # c1: customer wrote, agent answered, customer wrote again -> unanswered
        _message(s, c1, "contact", "Den skriver fortsatt ikke", 1)
        _message(s, c1, "agent", "Har du prøvd å starte den på nytt?", 2)
        last = _message(s, c1, "contact", "Ja, ingen endring", 3)
        # c2: customer wrote, an internal note does not count as an answer -> unanswered
        _message(s, c2, "contact", "Bitte schnell, der Drucker blockiert alles", 1)
        note = _message(s, c2, "agent", "Intern: Toner prüfen", 2, visibility="internal", kind="note")
        # c6: answered
        _message(s, c6, "contact", "Hjelp", 1)
        _message(s, c6, "agent", "Fikset", 2)
        s.add(Mention(case_id=c2.id, message_id=note.id, agent_id=bo.id))
        s.add(CaseTask(case_id=c6.id, title="Call back", assignee_id=ada.id))
        s.add(
            CaseAttachment(
                case_id=c4.id, filename="kvittering-mars.pdf", content_type="application/pdf", size=1, sha256="0" * 64
            )
        )
        s.flush()
        ids.update(ada=ada.id, bo=bo.id, boss=boss.id, support=support.id, hr=hr.id, org=org.id, ola=ola.id)
        # sla_state is the SLA engine's to keep (it recomputes on commit): set it the way that engine would
        s.execute(text("""UPDATE "case" SET sla_state = 'breached' WHERE id = :id"""), {"id": c6.id})
        for n in range(7, 15):  # SLA due times, some equal, on some cases only
            due = T0 + timedelta(days=n % 3)
            s.execute(update(Case).where(Case.number == n).values(sla_due_at=due))  # typed: same format on SQLite
        ids.update(c1=c1.id, c2=c2.id, c3=c3.id, c4=c4.id, c5=c5.id, c6=c6.id, last=last.id)
    return ids


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if request.param == "postgresql":
        with pg_database("search") as url:
            _migrate(url)
            engine = make_engine(url)
            try:
                factory = make_sessionmaker(engine)
                yield World("postgresql", factory, _seed(factory))
            finally:
                engine.dispose()
    else:
        path = Path(tmp_path_factory.mktemp("search")) / "cases.db"
        url = f"sqlite:///{path}"
        _migrate(url)
        engine = make_engine(url)
        try:
            factory = make_sessionmaker(engine)
            yield World("sqlite", factory, _seed(factory))
        finally:
            engine.dispose()


def _scope(world: World, s: Session, who: str | None) -> search_filters.Scope:
    agent_id = world.ids[who] if who else None
    return search_filters.load_scope(s, Viewer(agent_id=agent_id))


def _ids(page: Any) -> list[int]:
    return [c.id for c in page.items]


def _search(world: World, q: str, who: str = "boss", limit: int = 25) -> list[Any]:
    with world.session() as s:
        return global_search.search(s, _scope(world, s, who), q, None, limit).items


def test_non_ascii_words_match_in_title_description_and_messages(world: World) -> None:
    i = world.ids
    assert [h.case.id for h in _search(world, "skrivaren")] == [i["c1"]]
    assert [h.case.id for h in _search(world, "ØYEBLIKKELIG")] == [i["c1"]]  # æøå fold case, not accents
    assert [h.case.id for h in _search(world, "störung")] == [i["c2"]]
    assert [h.case.id for h in _search(world, "straße")] == [i["c2"]]
    assert [h.case.id for h in _search(world, "hälsningar")] == [i["c3"]]
    assert _search(world, "storung") == []  # no accent folding: ö is its own letter
    hits = _search(world, "prøvd")  # only in an agent's message
    assert [h.case.id for h in hits] == [i["c1"]]
    assert "message" in hits[0].matched_in and hits[0].message_id is not None
    assert "<mark>prøvd</mark>" in hits[0].snippet


def test_partial_words_prefix_and_inside_titles(world: World) -> None:
    i = world.ids
    assert [h.case.id for h in _search(world, "skriv")] == [i["c1"]]  # prefix of skrivaren/skriver
    assert {h.case.id for h in _search(world, "drucker")} == {i["c2"]}  # inside Netzwerkdrucker (+ message)
    assert [h.case.id for h in _search(world, "lönespec")] == [i["c3"]]


def test_contact_organisation_and_attachment_names_are_searched(world: World) -> None:
    i = world.ids
    assert {h.case.id for h in _search(world, "nordmann")} == {i["c1"]}
    assert {h.case.id for h in _search(world, "fjordkraft")} == {i["c1"]}  # email and organisation
    hits = _search(world, "beispiel.de")
    assert [h.case.id for h in hits] == [i["c2"]] and "contact" in hits[0].matched_in
    hits = _search(world, "kvittering")
    assert [h.case.id for h in hits] == [i["c4"]]
    assert hits[0].snippet == "<mark>kvittering</mark>-mars.pdf"


def test_ranking_prefers_title_matches_and_snippets_escape_html(world: World) -> None:
    i = world.ids
    with world.session() as s, s.begin():
        extra = _case(s, 100, "Ordinary title", description="<b>drucker</b> mentioned once, in passing")
    hits = _search(world, "drucker")
    assert [h.case.id for h in hits][:1] == [i["c2"]]
    assert hits[0].rank > hits[1].rank
    weak = next(h for h in hits if h.case.id == extra.id)
    assert "&lt;b&gt;" in weak.snippet or "<b>" not in weak.snippet
    assert "<mark>drucker</mark>" in weak.snippet
    with world.session() as s, s.begin():
        s.execute(text('DELETE FROM "case" WHERE id = :id'), {"id": extra.id})


def test_new_message_is_findable_in_the_same_transaction(world: World) -> None:
    i = world.ids
    with world.session() as s, s.begin():
        case = s.get(Case, i["c6"])
        assert case is not None
        _message(s, case, "contact", "Kjøleskapet lekker igjen", 5)
        hits = global_search.search(s, _scope(world, s, "boss"), "kjøleskap", None, 10).items
        assert [h.case.id for h in hits] == [i["c6"]]
        s.rollback()


def test_restricted_group_cases_are_found_only_by_members_and_admins(world: World) -> None:
    i = world.ids
    assert _search(world, "lönespecifikation", who="ada") == []
    assert [h.case.id for h in _search(world, "lönespecifikation", who="bo")] == [i["c3"]]
    assert [h.case.id for h in _search(world, "lönespecifikation", who="boss")] == [i["c3"]]
    with world.session() as s:
        assert i["c3"] not in _ids(listing.list_cases(s, CaseFilter(limit=100), _scope(world, s, "ada")))
        assert i["c3"] in _ids(listing.list_cases(s, CaseFilter(limit=100), _scope(world, s, "bo")))
        # an API client without an agent sees no restricted group
        assert i["c3"] not in _ids(listing.list_cases(s, CaseFilter(limit=100), _scope(world, s, None)))


def test_advanced_filters_combine(world: World) -> None:
    i = world.ids
    with world.session() as s:
        scope = _scope(world, s, "boss")

        def ids(**kw: Any) -> set[int]:
            return set(_ids(listing.list_cases(s, CaseFilter(limit=100, **kw), scope)))

        assert ids(tags=["printer"]) == {i["c1"], i["c2"]}
        assert ids(tags=["printer", "vip"]) == {i["c2"]}
        assert ids(priorities=[Priority.HIGH, Priority.URGENT]) == {i["c1"], i["c2"]}
        assert ids(sources=["portal"]) == {i["c2"]}
        assert ids(organisation_id=i["org"]) == {i["c1"]}
        assert ids(custom_fields={"region": "Vest"}) == {i["c1"]}
        assert ids(sla_states=["breached"]) == {i["c6"]}
        assert ids(statuses=[Status.RESOLVED, Status.CLOSED]) == {i["c4"], i["c5"]}
        assert ids(assignee_id=i["ada"], status=Status.OPEN, q="drucker") == {i["c2"]}
        assert ids(group_ids=[i["support"]], unassigned=False) == {i["c1"], i["c6"]}
        assert ids(requester_id=i["ola"], q="kontoret") == {i["c1"]}
        assert ids(created_from=T0 + timedelta(hours=2), created_to=T0 + timedelta(hours=4)) == {i["c2"], i["c3"]}
        assert ids(q="%") == set() and ids(q="!!!") == set()  # wildcards are literal; no word matches nothing
        for bad in (
            CaseFilter(custom_fields={"nope": "x"}),
            CaseFilter(sla_states=["late"]),
            CaseFilter(created_from=T0, created_to=T0),
        ):
            with pytest.raises(InvalidFilter):
                listing.list_cases(s, bad, scope)


@pytest.mark.parametrize("sort", list(CaseSort))
def test_cursor_paging_is_complete_and_ordered_under_each_sort(world: World, sort: CaseSort) -> None:
    with world.session() as s:
        scope = _scope(world, s, "boss")
        everything = listing.list_cases(s, CaseFilter(limit=100, sort=sort), scope).items
        seen: list[int] = []
        cursor = None
        while True:
            page = listing.list_cases(s, CaseFilter(limit=4, sort=sort, cursor=cursor), scope)
            seen += _ids(page)
            cursor = page.next
            if cursor is None:
                break
        assert seen == [c.id for c in everything]
        key = sort.value.lstrip("-")
        where = "WHERE sla_due_at IS NOT NULL" if key == "sla_due" else ""
        assert len(seen) == len(set(seen)) == s.scalar(text(f'SELECT count(*) FROM "case" {where}'))  # noqa: S608
        rank = {"low": 1, "medium": 2, "high": 3, "urgent": 4}
        column = {"created": "created_at", "updated": "updated_at", "sla_due": "sla_due_at"}.get(key, key)
        values = [(rank[c.priority] if key == "priority" else getattr(c, column), c.id) for c in everything]
        assert values == sorted(values, reverse=sort.value.startswith("-"))
        with pytest.raises(ValidationFailed):  # a cursor of another sort is refused, not misapplied
            other = CaseSort.NUMBER if sort is not CaseSort.NUMBER else CaseSort.CREATED
            first = listing.list_cases(s, CaseFilter(limit=2, sort=other), scope)
            listing.list_cases(s, CaseFilter(limit=2, sort=sort, cursor=first.next), scope)


def test_unanswered_follows_messages_through_the_trigger(world: World) -> None:
    i = world.ids
    with world.session() as s:
        rows: dict[int, bool] = dict(
            s.execute(select(Case.id, Case.awaiting_reply).where(Case.id.in_([i["c1"], i["c2"], i["c6"]]))).all()
        )
    assert rows == {i["c1"]: True, i["c2"]: True, i["c6"]: False}


def test_views_and_their_counts(world: World) -> None:
    i = world.ids
    with world.session() as s:
        ada = _scope(world, s, "ada")
        listed = {v.key: v for v in views.list_views(s, ada).items}
        expected = {
            "mine": {i["c1"], i["c2"]},
            "unanswered": {i["c1"], i["c2"]},
            "mentioned": set(),
            "tasks": {i["c6"]},
            "resolved": {i["c4"]},
            "closed": {i["c5"]},
            "all": {i["c1"], i["c2"], i["c4"], i["c5"]},
            "my_groups": {i["c1"], i["c6"]},
        }
        for key, want in expected.items():
            got = set(_ids(views.view_cases(s, key, ada, None, 100)))
            assert got == want, key
            assert listed[key].count == len(want) and not listed[key].capped, key
        total = s.scalar(text('SELECT count(*) FROM "case"'))
        assert listed["all_cases"].count == total - 1  # the HR case is hidden from Ada
        bo = _scope(world, s, "bo")
        assert set(_ids(views.view_cases(s, "mentioned", bo, None, 100))) == {i["c2"]}
        assert set(_ids(views.view_cases(s, "my_groups", bo, None, 100))) == {i["c3"]}
        client = _scope(world, s, None)
        assert "mine" not in {v.key for v in views.list_views(s, client).items}
        with pytest.raises(AgentRequired):
            views.view_cases(s, "mine", client, None, 10)
        with pytest.raises(NotFound):
            views.view_cases(s, "nope", ada, None, 10)
        capped = listing.capped_count(s, views.view_where("all_cases", ada), cap=5)
        assert (capped.count, capped.capped) == (5, True)


def test_saved_searches_personal_shared_with_counts(world: World) -> None:
    i = world.ids
    with world.session() as s, s.begin():
        ada, bo = _scope(world, s, "ada"), _scope(world, s, "bo")
        mine = writes_saved.create(s, ada, SavedSearchWrite(name="Printers", filters=SearchFilters(tags=["printer"])))
        shared = writes_saved.create(
            s, ada, SavedSearchWrite(name="Open, everyone", shared=True, filters=SearchFilters(statuses=[Status.OPEN]))
        )
        assert saved.count(s, ada, mine.id).count == 2
        folders = {f.name: f for f in saved.list_for(s, bo, with_counts=True).items}
        assert set(folders) == {"Open, everyone"}  # Ada's personal search is hers alone
        # the shared search counts what Bo may see (he sees HR, not ...) - scoped to the viewer
        assert folders["Open, everyone"].count == saved.count(s, bo, shared.id).count
        assert i["c3"] in _ids(saved.cases(s, bo, shared.id, None, 100))
        assert i["c3"] not in _ids(saved.cases(s, ada, shared.id, None, 100))
        with pytest.raises(NotFound):
            saved.get(s, bo, mine.id)
        with pytest.raises(DomainError) as info:
            writes_saved.update(s, bo, shared.id, SavedSearchUpdate(name="Mine now"))
        assert info.value.code == "forbidden"
        with pytest.raises(InvalidFilter):
            writes_saved.create(s, ada, SavedSearchWrite(name="Bad", filters=SearchFilters(custom_fields={"x": "y"})))
        updated = writes_saved.update(s, ada, mine.id, SavedSearchUpdate(filters=SearchFilters(tags=["vip"])))
        assert updated.filters == {"tags": ["vip"]}
        assert _ids(saved.cases(s, ada, mine.id, None, 10)) == [i["c2"]]
        writes_saved.delete(s, ada, mine.id)
        assert s.get(SavedSearch, mine.id) is None
        s.rollback()


def _statements(session: Session) -> list[str]:
    seen: list[str] = []
    event.listen(
        session.connection(),
        "before_cursor_execute",
        lambda _c, _cur, sql, *_a: seen.append(sql) if "BEGIN" not in sql else None,
    )
    return seen


def test_a_saved_search_is_kept_and_a_change_is_counted_within_the_bound(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Folder counts and pages read the saved search from a per-process cache (decision 0164): one statement per
    count while kept; a change committed here is counted at once; one committed by another worker (plain SQL
    here, which this process's caches cannot see) is counted with its new filters within `TTL_SECONDS`; a search
    deleted or made personal by another worker is not found after the bound; another agent's personal search
    is never counted."""
    ttl = 0.5
    monkeypatch.setattr(saved, "TTL_SECONDS", ttl)
    saved.clear()
    i = world.ids
    with world.session() as s, s.begin():
        ada = _scope(world, s, "ada")
        printers = writes_saved.create(
            s, ada, SavedSearchWrite(name="Printers", shared=True, filters=SearchFilters(tags=["printer"]))
        ).id
        own = writes_saved.create(
            s, ada, SavedSearchWrite(name="Mine", filters=SearchFilters(statuses=[Status.OPEN]))
        ).id
    try:
        with world.session() as s:
            ada, bo = _scope(world, s, "ada"), _scope(world, s, "bo")
            assert saved.count(s, ada, printers).count == 2
            seen = _statements(s)
            assert saved.count(s, ada, printers).count == 2 and saved.count(s, bo, printers).count == 2
            assert len(seen) == 2  # the two counts; the search itself is kept
            assert _ids(saved.cases(s, ada, printers, None, 10)) == [i["c2"], i["c1"]]
            with pytest.raises(NotFound):  # Ada's personal search, kept or not, is not Bo's
                saved.count(s, bo, own)
        with world.session() as s, s.begin():  # changed here (the update RPC): counted at once
            writes_saved.update(
                s, _scope(world, s, "ada"), printers, SavedSearchUpdate(filters=SearchFilters(tags=["vip"]))
            )
        with world.session() as s:
            ada = _scope(world, s, "ada")
            assert saved.count(s, ada, printers).count == 1
            assert _ids(saved.cases(s, ada, printers, None, 10)) == [i["c2"]]
        with world.session() as s, s.begin():  # changed by another worker
            s.execute(
                text("UPDATE saved_search SET filters = :f, shared = :no WHERE id = :id"),
                {"f": '{"tags": ["printer"], "priorities": ["high"]}', "no": False, "id": printers},
            )
        time.sleep(ttl)
        with world.session() as s:
            ada, bo = _scope(world, s, "ada"), _scope(world, s, "bo")
            assert saved.count(s, ada, printers).count == 1  # printer and high: c1 only
            assert _ids(saved.cases(s, ada, printers, None, 10)) == [i["c1"]]
            with pytest.raises(NotFound):  # made personal: Bo no longer has it
                saved.count(s, bo, printers)
        with world.session() as s, s.begin():
            s.execute(text("DELETE FROM saved_search WHERE id = :id"), {"id": printers})
        time.sleep(ttl)
        with world.session() as s, pytest.raises(NotFound):
            saved.count(s, _scope(world, s, "ada"), printers)
    finally:
        with world.session() as s, s.begin():
            s.execute(text("DELETE FROM saved_search WHERE id IN (:a, :b)"), {"a": printers, "b": own})
        saved.clear()


def test_one_multi_row_insert_keeps_every_case_right(world: World) -> None:
    """What a bulk COPY does: many messages of several cases in one statement (the PostgreSQL trigger
    runs once per statement over its transition table)."""
    with world.session() as s, s.begin():
        a = _case(s, 200, "Bulk A")
        b = _case(s, 201, "Bulk B")
        rows = [
            (a.id, "contact", "public", "reply", 1),
            (a.id, "agent", "public", "reply", 2),  # answered...
            (a.id, "contact", "public", "reply", 3),  # ...then the customer again: unanswered
            (b.id, "contact", "public", "reply", 1),
            (b.id, "agent", "internal", "note", 2),  # a note is no answer
            (b.id, "agent", "public", "reply", 4),  # answered
        ]
        values = ", ".join(
            f"({cid}, '{who}', '', '{vis}', 'email', 'x', '[]', :t{n}, '{kind}', '[]')"
            for n, (cid, who, vis, kind, _m) in enumerate(rows)
        )
        times = {f"t{n}": a.created_at + timedelta(minutes=m) for n, (*_rest, m) in enumerate(rows)}
        columns = "case_id, author_type, author_name, visibility, channel, body_text, attachments, created_at, kind"
        sql = f"INSERT INTO message ({columns}, recipients) VALUES {values}"  # noqa: S608 - test literals only
        stmt = text(sql).bindparams(*[bindparam(k, type_=Case.__table__.c.created_at.type) for k in times])
        s.execute(stmt, times)
        got: dict[int, bool] = dict(
            s.execute(select(Case.id, Case.awaiting_reply).where(Case.id.in_([a.id, b.id]))).all()
        )
        assert got == {a.id: True, b.id: False}
        s.rollback()


def test_sqlite_triggers_lifted_for_migrations_are_restored_with_the_index(world: World) -> None:
    if world.dialect != "sqlite":
        pytest.skip("SQLite's trigger upkeep")
    from cases.common.search_sql import drop_sqlite_search_triggers, ensure_sqlite_search_objects

    with world.session() as s, s.begin():
        drop_sqlite_search_triggers(s.connection())
        s.execute(
            text(
                'INSERT INTO "case" (number, title, description, status, priority, source, version, created_at,'
                " updated_at, held_for_approval, sla_state) VALUES (300, 'Melding', 'Sluket renner over', 'open',"
                " 'urgent', 'email', 1, '2026-01-05 09:00:00.000000', '2026-01-05 09:00:00.000000', 0, 'none')"
            )
        )
        assert global_search.search(s, _scope(world, s, "boss"), "sluket", None, 5).items == []
        restored = ensure_sqlite_search_objects(s.connection())
        assert "message_marks_insert" in restored and "case_fts_insert" in restored
        assert ensure_sqlite_search_objects(s.connection()) == []  # idempotent
        hits = global_search.search(s, _scope(world, s, "boss"), "sluket", None, 5).items
        assert [h.case.number for h in hits] == [300] and hits[0].case.priority == "urgent"
        rank = s.scalar(text('SELECT priority_rank FROM "case" WHERE number = 300'))
        assert rank == 4  # derived columns recomputed too
        s.rollback()


def test_title_infix_is_searched_only_while_the_case_text_source_is_not_full(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decision 0138: a word common enough to fill the case-text source does not also scan titles for
    the needle inside words; the title bonus then goes to the case-text candidates that hold it."""
    from cases.search import reads_fulltext as fulltext

    i = world.ids
    found = {h.case.id: h for h in _search(world, "drucker")}
    assert "title" in found[i["c2"]].matched_in  # Netzwerkdrucker: inside a word, found by the infix source
    with world.session() as s, s.begin():
        common = [_case(s, 400 + n, f"Drucker defekt {n}").id for n in range(3)]
        monkeypatch.setattr(fulltext, "CANDIDATES", 2)  # three cases now fill the case-text source
        hits = global_search.search(s, _scope(world, s, "boss"), "drucker", None, 10).items
        by_id = {h.case.id: h for h in hits}
        assert len(set(by_id) & set(common)) == 2  # the candidate cap
        assert by_id[i["c2"]].matched_in == ["message"]  # still found by its message, without the title scan
        for case_id in set(by_id) & set(common):
            assert by_id[case_id].matched_in == ["case", "title"]
            assert by_id[case_id].rank > by_id[i["c2"]].rank
        assert "<mark>Drucker</mark>" in by_id[common[0] if common[0] in by_id else common[1]].snippet
        monkeypatch.setattr(fulltext, "CANDIDATES", 100)
        hits = global_search.search(s, _scope(world, s, "boss"), "drucker", None, 10).items
        assert {h.case.id for h in hits} == {i["c2"], *common}
        assert all("title" in h.matched_in for h in hits)
        s.rollback()


def test_snippets_are_made_for_the_returned_page_only(world: World) -> None:
    from sqlalchemy import event

    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, _many: bool) -> None:
        statements.append((sql, params))

    with world.session() as s:
        engine = s.get_bind()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            page = global_search.search(s, _scope(world, s, "boss"), "bulk", None, 5)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
    assert len(page.items) == 5 and page.next is not None  # 12 "Bulk case" titles
    assert all("<mark>" in h.snippet for h in page.items)
    marker = "ts_headline" if world.dialect == "postgresql" else "snippet("
    snippet_sql = [(sql, params) for sql, params in statements if marker in sql]
    assert snippet_sql
    for sql, params in snippet_sql:
        if world.dialect == "postgresql":
            assert sorted(params["ids"]) == sorted(h.case.id for h in page.items)
        else:
            assert sql.count(",", sql.index("IN (")) >= 4  # the five ids of the page, inlined integers
            assert all(str(h.case.id) in sql for h in page.items)


def test_postgresql_plans_each_search_for_its_words(world: World) -> None:
    """Decision 0139: psycopg prepares a statement run five times; the search must not then fall back to
    PostgreSQL's generic plan (a GIN bitmap for every word). Its settings last for its transaction only."""
    if world.dialect != "postgresql":
        pytest.skip("PostgreSQL's plan cache")
    with world.session() as s, s.begin():
        scope = _scope(world, s, "boss")
        for _ in range(12):
            assert [h.case.id for h in global_search.search(s, scope, "skrivaren", None, 5).items] == [world.ids["c1"]]
        plans = s.execute(
            text("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'WITH pre %'")
        ).all()
        assert plans and all(generic == 0 and custom > 0 for generic, custom in plans)
        settings = s.execute(text("SELECT current_setting('plan_cache_mode'), current_setting('work_mem')")).one()
        assert tuple(settings) == ("force_custom_plan", "256kB")
    with world.session() as s:
        assert s.scalar(text("SELECT current_setting('plan_cache_mode')")) == "auto"


def test_postgresql_search_indexes_keep_a_short_pending_list(world: World) -> None:
    """Migration 0009 (decision 0140): every GIN index a search reads merges its pending list at 256 kB."""
    if world.dialect != "postgresql":
        pytest.skip("GIN indexes")
    with world.session() as s:
        rows = s.execute(
            text(
                "SELECT c.relname, c.reloptions FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'gin'"
            )
        ).all()
    assert len(rows) >= 7
    for name, options in rows:
        assert "gin_pending_list_limit=256" in (options or []), name


def test_search_pages_are_complete_and_repeatable(world: World) -> None:
    """Paging goes by position in the ranked set, which is the same from one request to the next
    (decision 0139: no sampled GIN scan, sequential scans start at the first block)."""

    def pages() -> list[int]:
        seen: list[int] = []
        cursor = None
        with world.session() as s:
            scope = _scope(world, s, "boss")
            while True:
                page = global_search.search(s, scope, "bulk", cursor, 5)
                seen += [h.case.id for h in page.items]
                cursor = page.next
                if cursor is None:
                    return seen

    first = pages()
    assert len(first) == len(set(first)) == 12  # the "Bulk case N" titles
    assert pages() == first
