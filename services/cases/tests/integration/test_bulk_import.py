"""Bulk import and the synthetic data generator on PostgreSQL (COPY, with the real worker) and SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from cases.bulk.writes_generator import generate
from cases.bulk.writes_import import ImportReport, import_file
from cases.case import reads as queries
from cases.case import writes as handlers
from cases.common.tables import OutboxMessage
from chassis.db import make_engine, make_sessionmaker, unit_of_work
from chassis.outbox import add_event
from contracts.cases import Actor, AuthorType, CaseCreate, CaseFilter, Channel
from contracts.envelope import Envelope, EventPayload

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)


def _record(external_id: str, title: str, **extra: Any) -> str:
    return json.dumps({"external_id": external_id, "title": title, **extra}, ensure_ascii=False)


def _export(path: Path, suffix: str = "") -> Path:
    """An export from another help desk: 3 good cases, 4 bad lines, 2 rows imported with a warning."""
    lines = [
        _record(
            f"ZD-1{suffix}",
            "Skrivaren på kontoret i Göteborg skriver inte ut",
            number=5000,
            status="pending",
            priority="high",
            requester_email=f"asa{suffix}@fjord.example",
            requester_name="Åsa Öberg",
            organisation=f"Fjord{suffix} AB",
            group=f"Imported{suffix}",
            assignee_email="admin@example.com",
            tags=["printer", "VIP"],
            created_at="2024-03-01T08:00:00Z",
            messages=[
                {"author_type": "customer", "body": "Skrivaren är trasig", "created_at": "2024-03-01T08:00:00Z"},
                {
                    "author_type": "agent",
                    "author_email": "admin@example.com",
                    "body": "Vi tittar på det",
                    "created_at": "2024-03-01T09:30:00Z",
                },
            ],
        ),
        _record(
            f"ZD-2{suffix}",
            "Rechnung doppelt abgebucht",
            status="closed",
            requester_email=f"asa{suffix}@fjord.example",
            assignee_email="nobody@example.com",
            created_at="2024-04-01T08:00:00Z",
            closed_at="2024-04-03T08:00:00Z",
        ),
        _record("ZD-3", ""),
        "{not json",
        _record(f"ZD-1{suffix}", "the same external id again"),
        _record(f"ZD-4{suffix}", "Number already taken", number=5000, created_at="2024-05-01T00:00:00Z"),
        _record(f"ZD-5{suffix}", "Unknown admin status", status="Waiting for parts"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _check_report(report: ImportReport, suffix: str) -> None:
    assert report.imported == 3 and report.messages == 2 and report.already_imported == 0
    problems = {(p.line, p.skipped): p.reason for p in report.problems}
    assert problems == {
        (2, False): "no active agent nobody@example.com: imported unassigned",
        (3, True): "title is missing",
        (4, True): problems[(4, True)],
        (5, True): f"external_id {'ZD-1' + suffix!r} appears twice in the file",
        (6, False): f"number 5000 is taken: the case got {_renumbered(report)}",
        (7, True): "unknown status 'Waiting for parts'",
    }
    assert problems[(4, True)].startswith("not valid JSON")


def _renumbered(report: ImportReport) -> int:
    reason = next(p.reason for p in report.problems if p.line == 6)
    return int(reason.rsplit(" ", 1)[1])


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def _check_database(engine: Engine, suffix: str) -> dict[str, Any]:
    """What the import wrote; returns the imported cases by external id."""
    rows = _rows(
        engine,
        "SELECT c.id, c.number, c.status, c.priority, c.created_at, c.first_response_at, c.assignee_id, "
        "c.closed_at, c.resolved_at, c.external_ref, g.name AS group_name, o.name AS org_name "
        'FROM "case" c LEFT JOIN "group" g ON g.id = c.group_id LEFT JOIN organisation o ON o.id = c.organisation_id '
        "WHERE c.external_ref LIKE :p ORDER BY c.number",
        p=f"ZD-%{suffix}",
    )
    by_ref = {r.external_ref: r for r in rows}
    assert set(by_ref) == {f"ZD-1{suffix}", f"ZD-2{suffix}", f"ZD-4{suffix}"}
    first = by_ref[f"ZD-1{suffix}"]
    assert first.number == 5000 and first.status == "waiting" and first.priority == "high"
    assert first.group_name == f"Imported{suffix}" and first.org_name == f"Fjord{suffix} AB"
    assert str(first.created_at).startswith("2024-03-01 08:00:00")
    assert str(first.first_response_at).startswith("2024-03-01 09:30:00")
    assert first.assignee_id is not None
    closed = by_ref[f"ZD-2{suffix}"]
    assert closed.status == "closed" and closed.assignee_id is None
    assert str(closed.closed_at).startswith("2024-04-03") and closed.resolved_at is not None
    assert by_ref[f"ZD-4{suffix}"].number > 5000
    messages = _rows(
        engine,
        "SELECT author_type, body_text, author_id FROM message WHERE case_id = :c ORDER BY created_at",
        c=first.id,
    )
    assert [(m.author_type, m.body_text) for m in messages] == [
        ("contact", "Skrivaren är trasig"),
        ("agent", "Vi tittar på det"),
    ]
    assert all(m.author_id is not None for m in messages)
    history = _rows(engine, "SELECT field, new_value, actor_type FROM case_history WHERE case_id = :c", c=first.id)
    assert [tuple(h) for h in history] == [("imported", f"ZD-1{suffix}", "system")]
    contacts = _rows(engine, "SELECT contact_id FROM contact_email WHERE email = :e", e=f"asa{suffix}@fjord.example")
    assert len(contacts) == 1
    tags = _rows(engine, "SELECT tag FROM case_tag WHERE case_id = :c ORDER BY tag", c=first.id)
    assert [t.tag for t in tags] == ["printer", "vip"]
    # no per-case events (no customer mail, no agent alerts): one summary per batch
    outbox = _rows(engine, "SELECT event_type, envelope FROM outbox_message")
    envelopes = [(t, e if isinstance(e, dict) else json.loads(e)) for t, e in outbox]
    ids = {r.id for r in rows}
    assert not [e for t, e in envelopes if t != "cases_imported" and e["payload"].get("case", {}).get("id") in ids]
    summaries = [e["payload"] for t, e in envelopes if t == "cases_imported"]
    assert ids <= {case_id for p in summaries for case_id in p["case_ids"]}
    seq = _rows(engine, "SELECT last_value FROM case_number_seq WHERE name = 'case'")[0].last_value
    assert seq >= by_ref[f"ZD-4{suffix}"].number
    return by_ref


# -- SQLite (the embedded default), without a worker --------------------------------------------


class _Runtime:
    """The handlers' runtime over a plain sessionmaker (what the worker's Runtime does, minus the relay)."""

    def __init__(self, engine: Engine) -> None:
        self.factory = make_sessionmaker(engine)

    def transaction(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.factory)

    def emit(self, session: Session, payload: EventPayload, correlation_id: str | None = None) -> Envelope:
        return add_event(session, OutboxMessage, payload, source="cases", correlation_id=correlation_id)


def _migrated_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    env = {**os.environ, "HELPDESK_ENV": "test", "CASES_DATABASE_URL": url}
    for command in ("migrate", "seed"):
        result = subprocess.run(
            [sys.executable, "-m", "cases", command], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
    return url


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(_migrated_sqlite(tmp_path / "cases.db"))
    yield engine
    engine.dispose()


def test_import_on_sqlite(sqlite_engine: Engine, tmp_path: Path) -> None:
    export = _export(tmp_path / "export.jsonl")
    report = import_file(sqlite_engine, export, progress=False)
    _check_report(report, "")
    by_ref = _check_database(sqlite_engine, "")

    again = import_file(sqlite_engine, export, progress=False)
    # the in-file duplicate of ZD-1 now counts as already imported too
    assert again.imported == 0 and again.already_imported == 4 and again.rejected == 3

    # a case opened the normal way afterwards takes the next number, no clash with imported ones
    runtime = _Runtime(sqlite_engine)
    actor = Actor(type=AuthorType.AGENT, id=1, name="Admin", channel=Channel.WEB)
    created = handlers.create_case(runtime=runtime, data=CaseCreate(title="after the import"), actor=actor)
    assert created.number == max(r.number for r in by_ref.values()) + 1

    with make_sessionmaker(sqlite_engine)() as session:
        page = queries.list_cases(session=session, filters=CaseFilter(q="Göteborg"))
        assert [c.number for c in page.items] == [5000]
        assert page.items[0].requester is not None and page.items[0].requester.name == "Åsa Öberg"


def test_import_command_reports_bad_lines_and_exits_1(tmp_path: Path) -> None:
    url = _migrated_sqlite(tmp_path / "cli.db")
    export = tmp_path / "export.csv"
    export.write_text(
        "external_id,title,status,requester_email,tags,created_at,messages\n"
        'C-1,Kann mich nicht anmelden,open,jurgen@example.de,"login,sso",2025-06-01T10:00:00Z,'
        '"[{""author_type"": ""contact"", ""body"": ""Hallo""}]"\n'
        "C-2,,open,,,,\n",
        encoding="utf-8",
    )
    env = {**os.environ, "HELPDESK_ENV": "test", "CASES_DATABASE_URL": url}
    problems = tmp_path / "problems.csv"
    result = subprocess.run(
        [sys.executable, "-m", "cases", "import", str(export), "--no-progress", "--report", str(problems)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "imported 1 case(s) with 1 message(s); 0 already imported; 1 rejected; 0 warning(s)" in result.stdout
    assert "line 3: rejected: title is missing" in result.stdout
    assert problems.read_text(encoding="utf-8").splitlines() == ["line,kind,reason", "3,rejected,title is missing"]


def test_generator_is_deterministic_and_realistic(tmp_path: Path) -> None:
    engines = [make_engine(_migrated_sqlite(tmp_path / f"gen{i}.db")) for i in range(3)]
    try:
        reports = [
            generate(engine, cases=300, messages_per_case=3, seed=seed, until=UNTIL, progress=False)
            for engine, seed in zip(engines, (7, 7, 8), strict=True)
        ]
        snapshot_sql = (
            "SELECT c.number, c.title, c.status, c.priority, c.created_at, e.email, "
            "(SELECT group_concat(m.body_text, '|') FROM message m WHERE m.case_id = c.id) "
            'FROM "case" c JOIN contact_email e ON e.contact_id = c.requester_id ORDER BY c.number'
        )
        first, second, other = (_rows(engine, snapshot_sql) for engine in engines)
        assert first == second and first != other
        assert reports[0].cases == 300 and len(first) == 300
        messages = _rows(engines[0], "SELECT count(*) FROM message")[0][0]
        assert messages == reports[0].messages and 600 <= messages <= 1200
        assert _rows(engines[0], "SELECT last_value FROM case_number_seq")[0][0] == 300
        statuses = {r[2] for r in first}
        assert {"closed", "open", "resolved"} <= statuses
        # skew: the busiest customer has many cases, most have few
        per_contact = _rows(engines[0], 'SELECT count(*) FROM "case" GROUP BY requester_id ORDER BY 1 DESC')
        assert per_contact[0][0] >= 5 * per_contact[len(per_contact) // 2][0]
        # every language shows up somewhere in titles or bodies
        text_all = " ".join(r[1] + (r[6] or "") for r in first)
        assert all(word in text_all for word in ("Hej", "Hei", "Hallo", "Hello"))
        # unanswered open cases exist: the last public message is the customer's
        unanswered = _rows(
            engines[0],
            "SELECT count(*) FROM \"case\" c WHERE c.status IN ('new', 'open', 'waiting') AND ("
            "SELECT m.author_type FROM message m WHERE m.case_id = c.id AND m.visibility = 'public' "
            "ORDER BY m.created_at DESC, m.id DESC LIMIT 1) = 'contact'",
        )[0][0]
        assert unanswered > 0
        # a second run adds more cases, reusing the same contacts
        contacts = _rows(engines[0], "SELECT count(*) FROM contact")[0][0]
        generate(engines[0], cases=50, seed=7, until=UNTIL, progress=False)
        assert _rows(engines[0], "SELECT count(*) FROM contact")[0][0] == contacts
        assert _rows(engines[0], 'SELECT max(number) FROM "case"')[0][0] == 350
    finally:
        for engine in engines:
            engine.dispose()


# -- PostgreSQL (COPY), with the real worker ----------------------------------------------------


def test_import_on_postgresql_through_the_worker(cases: Any, admin: dict[str, Any], tmp_path: Path) -> None:
    engine = make_engine(cases.db.url.render_as_string(hide_password=False))
    try:
        before = cases.call("create_case", data={"title": "made before the import"}, actor=admin)
        policy = cases.call(
            "save_sla_policy",
            data={"name": "bulk high", "priority": "high", "first_response_minutes": 60, "resolution_minutes": 600},
        )
        export = _export(tmp_path / "export.jsonl", suffix="-pg")
        try:
            report = import_file(engine, export, progress=False)
            _check_report(report, "-pg")
            by_ref = _check_database(engine, "-pg")
            # the SLA of an open imported case is applied (waiting since created: paused); a closed one has none
            sla = {r.external_ref: r.sla_state for r in _rows(engine, 'SELECT external_ref, sla_state FROM "case"')}
            assert sla["ZD-1-pg"] == "paused" and sla["ZD-2-pg"] == "none"
            targets = _rows(engine, "SELECT metric FROM case_sla_target WHERE case_id = :c", c=by_ref["ZD-1-pg"].id)
            assert sorted(t.metric for t in targets) == ["first_response", "resolution"]
        finally:
            cases.call("delete_sla_policy", policy_id=policy["id"])
        assert before["number"] < 5000

        event = cases.events.wait_for("cases_imported", origin="import")[0]
        assert sorted(event["payload"]["case_ids"]) == sorted(r.id for r in by_ref.values())
        imported_ids = {r.id for r in by_ref.values()}
        assert not [e for e in cases.events.events if e["event_type"] == "case_created"
                    and e["payload"]["case"]["id"] in imported_ids]  # fmt: skip

        again = import_file(engine, export, progress=False)
        assert again.imported == 0 and again.already_imported == 4 and again.rejected == 3

        after = cases.call("create_case", data={"title": "made after the import"}, actor=admin)
        assert after["number"] == max(r.number for r in by_ref.values()) + 1

        found = cases.call("list_cases", filters={"q": "Göteborg"})["items"]
        assert [c["number"] for c in found] == [5000]
        assert found[0]["tags"] == ["printer", "vip"] and found[0]["organisation"]["name"] == "Fjord-pg AB"
        messages = cases.call("list_messages", case_id=found[0]["id"])
        assert [m["body_text"] for m in messages] == ["Skrivaren är trasig", "Vi tittar på det"]
        history = cases.call("get_case_history", case_id=found[0]["id"])
        assert [(h["field"], h["new_value"]) for h in history] == [("imported", "ZD-1-pg")]
    finally:
        engine.dispose()


def test_generate_on_postgresql_then_create_continues(cases: Any, admin: dict[str, Any]) -> None:
    engine = make_engine(cases.db.url.render_as_string(hide_password=False))
    try:
        top = _rows(engine, 'SELECT coalesce(max(number), 0) FROM "case"')[0][0]
        report = generate(engine, cases=500, seed=3, until=UNTIL, batch_size=200, progress=False)
        assert report.cases == 500
        assert _rows(engine, 'SELECT max(number) FROM "case"')[0][0] == top + 500
        after = cases.call("create_case", data={"title": "after generate"}, actor=admin)
        assert after["number"] == top + 501
        generated = cases.call("get_case", case_id=report.last_case_id)
        assert generated["requester"]["email"] and generated["group"]["name"]
        with make_sessionmaker(engine)() as session:
            counts = session.execute(
                select(text("count(*)")).select_from(text("message")).where(text("case_id = :c")),
                {"c": report.last_case_id},
            ).scalar_one()
        assert counts >= 1
    finally:
        engine.dispose()
