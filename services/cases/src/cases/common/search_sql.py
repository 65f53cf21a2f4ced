"""SQL shared by the models and migration 0004: generated-column expressions, kept in one place."""

# ruff: noqa: S608 - every SQL text here is built from the constants of this module only

from __future__ import annotations

from typing import Any

# a customer wrote after the last public agent reply (the Unanswered view, C1)
AWAITING_REPLY_SQL = (
    "last_customer_message_at IS NOT NULL AND "
    "(last_agent_reply_at IS NULL OR last_customer_message_at > last_agent_reply_at)"
)

# priorities sort by urgency, not by name
PRIORITY_RANK_SQL = (
    "CASE priority WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 ELSE 0 END"
)

# cases still being worked on: the partial indexes of the inbox views use exactly this predicate
OPEN_SQL = "status NOT IN ('resolved', 'closed')"


# -- SQLite (the embedded default) ------------------------------------------------------------------
# SQLite keeps the derived columns with triggers instead of generated columns: alembic's batch mode
# rebuilds a table from its reflection, which cannot round-trip SQLite's generated columns. A rebuild
# drops a table's triggers, so `ensure_sqlite_search_objects` re-creates any that are missing after
# every `migrate` (and rebuilds the FTS index when it had to).

FTS_TOKENIZER = "unicode61 remove_diacritics 0"  # æøå, äöü, ß stay themselves: no accent folding

_SQLITE_MARKS = """
UPDATE "case" SET
    last_customer_message_at = CASE
        WHEN NEW.author_type = 'contact'
             AND (last_customer_message_at IS NULL OR NEW.created_at > last_customer_message_at)
        THEN NEW.created_at ELSE last_customer_message_at END,
    last_agent_reply_at = CASE
        WHEN NEW.author_type = 'agent' AND NEW.visibility = 'public' AND NEW.kind = 'reply'
             AND (last_agent_reply_at IS NULL OR NEW.created_at > last_agent_reply_at)
        THEN NEW.created_at ELSE last_agent_reply_at END
WHERE id = NEW.case_id;
"""

_SQLITE_DERIVED = (
    f'UPDATE "case" SET awaiting_reply = ({AWAITING_REPLY_SQL}), priority_rank = ({PRIORITY_RANK_SQL})'
    " WHERE id = NEW.id;"
)

SQLITE_FTS_TABLES = {
    "case_fts": "CREATE VIRTUAL TABLE IF NOT EXISTS case_fts USING fts5(title, description, "
    f"content='case', content_rowid='id', tokenize='{FTS_TOKENIZER}')",
    "message_fts": "CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(body_text, "
    f"content='message', content_rowid='id', tokenize='{FTS_TOKENIZER}')",
}

SQLITE_TRIGGERS = {
    "case_fts_insert": 'AFTER INSERT ON "case" BEGIN '
    "INSERT INTO case_fts(rowid, title, description) VALUES (NEW.id, NEW.title, NEW.description); END",
    "case_fts_delete": 'AFTER DELETE ON "case" BEGIN '
    "INSERT INTO case_fts(case_fts, rowid, title, description) "
    "VALUES ('delete', OLD.id, OLD.title, OLD.description); END",
    "case_fts_update": 'AFTER UPDATE OF title, description ON "case" BEGIN '
    "INSERT INTO case_fts(case_fts, rowid, title, description) "
    "VALUES ('delete', OLD.id, OLD.title, OLD.description); "
    "INSERT INTO case_fts(rowid, title, description) VALUES (NEW.id, NEW.title, NEW.description); END",
    "message_fts_insert": "AFTER INSERT ON message BEGIN "
    "INSERT INTO message_fts(rowid, body_text) VALUES (NEW.id, NEW.body_text); END",
    "message_fts_delete": "AFTER DELETE ON message BEGIN "
    "INSERT INTO message_fts(message_fts, rowid, body_text) VALUES ('delete', OLD.id, OLD.body_text); END",
    "message_fts_update": "AFTER UPDATE OF body_text ON message BEGIN "
    "INSERT INTO message_fts(message_fts, rowid, body_text) VALUES ('delete', OLD.id, OLD.body_text); "
    "INSERT INTO message_fts(rowid, body_text) VALUES (NEW.id, NEW.body_text); END",
    "message_marks_insert": f"AFTER INSERT ON message BEGIN {_SQLITE_MARKS} END",
    "message_marks_update": f"AFTER UPDATE OF case_id ON message BEGIN {_SQLITE_MARKS} END",
    "case_derived_insert": f'AFTER INSERT ON "case" BEGIN {_SQLITE_DERIVED} END',
    "case_derived_update": "AFTER UPDATE OF priority, last_customer_message_at, last_agent_reply_at "
    f'ON "case" BEGIN {_SQLITE_DERIVED} END',
}


def ensure_sqlite_search_objects(connection: Any) -> list[str]:
    """Create the SQLite FTS tables and triggers that are missing (after migrations); returns their names.

    A no-op on a database that has them all, and on one not yet at migration 0004."""
    existing = {
        row[0]
        for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
    }
    if "saved_search" not in existing:  # before migration 0004: nothing of ours to keep
        return []
    missing = [n for n in (*SQLITE_FTS_TABLES, *SQLITE_TRIGGERS) if n not in existing]
    for name in missing:
        if name in SQLITE_FTS_TABLES:
            connection.exec_driver_sql(SQLITE_FTS_TABLES[name])
        else:
            connection.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {SQLITE_TRIGGERS[name]}")
    if missing:  # writes may have bypassed the index while a trigger was gone
        connection.exec_driver_sql("INSERT INTO case_fts(case_fts) VALUES ('rebuild')")
        connection.exec_driver_sql("INSERT INTO message_fts(message_fts) VALUES ('rebuild')")
        connection.exec_driver_sql(
            f'UPDATE "case" SET awaiting_reply = ({AWAITING_REPLY_SQL}), priority_rank = ({PRIORITY_RANK_SQL})'
        )
    return missing


def drop_sqlite_search_triggers(connection: Any) -> None:
    """Drop our SQLite triggers before migrations run: a migration that rebuilds `case` or `message`
    (alembic batch mode) fails while a trigger on one names the other. `ensure_sqlite_search_objects`
    puts them back afterwards and rebuilds the FTS index."""
    for name in SQLITE_TRIGGERS:
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
