"""The import key (source, external id) is unique in the database (migration 0007, decision 0142)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from cases.bulk.rules import parse_case
from cases.bulk.writes import BulkWriter, CaseBundle
from cases.bulk.writes_import import ImportReport, _flush, import_file
from cases.manage import SERVICE_DIR
from cases.tables import metadata
from chassis.db import make_engine, make_sessionmaker, unit_of_work, utcnow
from chassis.migrations import upgrade
from chassis.testing import migrate_sqlite, pg_database, schema_differences

MINE = ("import_source", "import_external_id", "uq_case_import_key", "sla_recompute_job")


def _export(path: Path, *ids: str) -> Path:
    lines = [json.dumps({"external_id": i, "title": f"Imported {i}", "status": "open"}) for i in ids]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_database("cases_key") as url:
        yield url


def _bundle(external_id: str, **case: Any) -> CaseBundle:
    now = utcnow()
    values = {"title": f"Old import {external_id}", "status": "open", "priority": "medium", "source": "email"}
    values |= {"created_at": now, "updated_at": now, "held_for_approval": False, "external_ref": external_id}
    return CaseBundle(case=values | case, external_id=external_id)


def test_migration_keeps_the_first_import_and_marks_later_copies(pg_url: str) -> None:
    """Cases imported twice before the constraint: the oldest keeps the key, the others are tagged, none lost."""
    upgrade(SERVICE_DIR, pg_url, "0006_contact_channel")
    engine = make_engine(pg_url)
    try:
        factory = make_sessionmaker(engine)
        # what two overlapping imports could do before 0007: the same external id twice (plus a single one)
        for batch in (["ZD-1", "ZD-2"], ["ZD-1"]):
            with unit_of_work(factory) as session:
                BulkWriter(session).write_batch([_bundle(e) for e in batch], origin="import", source_name="x.jsonl")
        upgrade(SERVICE_DIR, pg_url)

        rows = _rows(engine, 'SELECT id, number, import_source, import_external_id FROM "case" ORDER BY id')
        first, single, copy = rows
        assert (first.import_source, first.import_external_id) == ("import", "ZD-1")
        assert (single.import_source, single.import_external_id) == ("import", "ZD-2")
        assert (copy.import_source, copy.import_external_id) == (None, None)
        tags = _rows(engine, "SELECT case_id, tag FROM case_tag")
        assert [(t.case_id, t.tag) for t in tags] == [(copy.id, "import-duplicate")]
        [explained] = _rows(engine, "SELECT * FROM case_history WHERE field = 'import_duplicate'")
        assert (explained.case_id, explained.old_value, explained.new_value) == (copy.id, "ZD-1", str(first.number))

        # the database now refuses a second case with the same key, whoever writes it
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text("UPDATE \"case\" SET import_source = 'import', import_external_id = 'ZD-1' WHERE id = :id"),
                {"id": copy.id},
            )
    finally:
        engine.dispose()


def test_import_key_is_per_source_and_a_stale_run_skips_what_another_wrote(pg_url: str, tmp_path: Path) -> None:
    upgrade(SERVICE_DIR, pg_url)
    engine = make_engine(pg_url)
    try:
        export = _export(tmp_path / "export.jsonl", "T-1", "T-2")
        first = import_file(engine, export, progress=False, source="zendesk")
        assert (first.imported, first.already_imported) == (2, 0)
        again = import_file(engine, export, progress=False, source="zendesk")
        assert (again.imported, again.already_imported) == (0, 2)
        # the same ids from another help desk are other cases
        other = import_file(engine, export, progress=False, source="freshdesk")
        assert other.imported == 2
        keys = _rows(engine, 'SELECT import_source, import_external_id FROM "case" ORDER BY id')
        assert [tuple(k) for k in keys] == [
            ("zendesk", "T-1"),
            ("zendesk", "T-2"),
            ("freshdesk", "T-1"),
            ("freshdesk", "T-2"),
        ]

        # a run that read the keys before another run committed the same ids (what two imports at once
        # on SQLite, without the advisory lock, amount to): the unique index stops it, the rows are skipped
        from cases.bulk.writes_import import References

        factory = make_sessionmaker(engine)
        now = utcnow()
        batch = [parse_case({"external_id": i, "title": i}, n, now=now) for n, i in enumerate(["T-2", "T-3"], 1)]
        with factory() as session:
            refs = References(session)
        report = ImportReport()
        _flush(factory, refs, batch, report, "late.jsonl", "zendesk")
        assert (report.imported, report.already_imported) == (1, 1)
        count = _rows(engine, "SELECT count(*) FROM \"case\" WHERE import_source = 'zendesk'")[0][0]
        assert count == 3
    finally:
        engine.dispose()


def test_bad_source_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cases", "import", str(_export(tmp_path / "e.jsonl", "A")), "--source", " "],
        env={**os.environ, "HELPDESK_ENV": "test", "CASES_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "the import source must be 1 to 100 characters" in result.stderr


def test_migration_0007_matches_the_models_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(migrate_sqlite("cases", tmp_path / "cases.db"))
    try:
        diffs = schema_differences(engine, metadata)
        export = _export(tmp_path / "export.jsonl", "S-1")
        assert import_file(engine, export, progress=False).imported == 1
        assert import_file(engine, export, progress=False).already_imported == 1
        # SQLite has no advisory lock: a run with a stale key set meets the unique index and skips the row
        from cases.bulk.writes_import import References

        factory = make_sessionmaker(engine)
        batch = [parse_case({"external_id": i, "title": i}, n, now=utcnow()) for n, i in enumerate(["S-1", "S-2"], 1)]
        with factory() as session:
            refs = References(session)
        report = ImportReport()
        _flush(factory, refs, batch, report, "late.jsonl", "import")
        assert (report.imported, report.already_imported) == (1, 1)
    finally:
        engine.dispose()
    assert [d for d in diffs if any(name in repr(d) for name in MINE)] == []


def test_case_facts_pages_are_bounded_and_name_missing_ids(pg_url: str, tmp_path: Path) -> None:
    from sqlalchemy.orm import Session

    from cases.bulk.reads import case_facts
    from contracts.errors import ValidationFailed

    upgrade(SERVICE_DIR, pg_url)
    engine = make_engine(pg_url)
    try:
        report = import_file(engine, _export(tmp_path / "f.jsonl", "F-1", "F-2"), progress=False)
        with Session(engine) as session:
            page = case_facts(session=session, case_ids=[*report.case_ids, 999_999])
            with pytest.raises(ValidationFailed, match="at most 500 case ids"):
                case_facts(session=session, case_ids=list(range(1, 502)))
        assert [f.id for f in page.items] == sorted(report.case_ids) and page.missing == [999_999]
        assert {(f.status, f.priority, f.version) for f in page.items} == {("open", "medium", 1)}
    finally:
        engine.dispose()
