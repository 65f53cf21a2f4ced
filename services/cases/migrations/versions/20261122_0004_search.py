"""search: full-text index (tsvector + GIN, trigram; SQLite FTS5), saved searches, inbox view support

Revision ID: 0004_search
Revises: 0003_case_work
Create Date: 2026-11-22 20:05:00

Hand-written: several engineers change the models concurrently.

Everything derived is kept by the database itself (generated columns, triggers), so a bulk import
with COPY needs none of our Python code to stay searchable and to keep the inbox views right.
"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import chassis.db

revision: str = "0004_search"
down_revision: str | Sequence[str] | None = "0003_case_work"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
_TS = chassis.db.UTCDateTime(timezone=True)

# copies of cases.db.search_sql (a migration must not change when the code does)
_AWAITING_REPLY = (
    "last_customer_message_at IS NOT NULL AND "
    "(last_agent_reply_at IS NULL OR last_customer_message_at > last_agent_reply_at)"
)
_PRIORITY_RANK = (
    "CASE priority WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 ELSE 0 END"
)
_OPEN = "status NOT IN ('resolved', 'closed')"

# (name, table, columns, partial predicate or None): btree indexes of the list sorts and inbox views
_BTREE = [
    ("ix_case_created_id", "case", ["created_at", "id"], None),
    ("ix_case_updated_id", "case", ["updated_at", "id"], None),
    ("ix_case_priority_id", "case", ["priority_rank", "id"], None),
    ("ix_case_sla_state", "case", ["sla_state"], None),
    ("ix_case_organisation_id", "case", ["organisation_id"], None),
    ("ix_case_assignee_status_upd", "case", ["assignee_id", "status", "updated_at", "id"], None),
    # saved-search counts by status and priority (the read path): an index-only count of <= cap+1
    ("ix_case_status_priority_id", "case", ["status", "priority", "id"], None),
    ("ix_case_open_updated", "case", ["updated_at", "id"], _OPEN),
    ("ix_case_assignee_open_upd", "case", ["assignee_id", "updated_at", "id"], _OPEN),
    ("ix_case_group_open_upd", "case", ["group_id", "updated_at", "id"], _OPEN),
    ("ix_case_assignee_unanswered", "case", ["assignee_id", "updated_at", "id"], f"awaiting_reply AND {_OPEN}"),
    ("ix_case_task_assignee_open", "case_task", ["assignee_id", "case_id"], "NOT done"),
    ("ix_mention_agent_case", "mention", ["agent_id", "case_id"], None),
    ("ix_case_custom_value_field", "case_custom_value", ["field_key", "value"], None),
]

# PostgreSQL: trigram GIN for partial words (infix) on the short fields
_TRGM = [
    ("ix_case_title_trgm", "case", "title"),
    ("ix_contact_name_trgm", "contact", "name"),
    ("ix_contact_email_email_trgm", "contact_email", "email"),
    ("ix_organisation_name_trgm", "organisation", "name"),
    ("ix_case_attachment_filename_trgm", "case_attachment", "filename"),
]

# PostgreSQL: one statement-level trigger per insert/update keeps the two timestamps of the views;
# a COPY of 3M messages runs it once per statement, grouped by case, not once per row
_PG_MARKS = """
CREATE OR REPLACE FUNCTION case_message_marks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "case" c SET
        last_customer_message_at = GREATEST(c.last_customer_message_at, m.customer_at),
        last_agent_reply_at = GREATEST(c.last_agent_reply_at, m.agent_at)
    FROM (
        SELECT case_id,
               max(created_at) FILTER (WHERE author_type = 'contact') AS customer_at,
               max(created_at) FILTER (
                   WHERE author_type = 'agent' AND visibility = 'public' AND kind = 'reply'
               ) AS agent_at
        FROM new_rows GROUP BY case_id
    ) m
    WHERE c.id = m.case_id AND (m.customer_at IS NOT NULL OR m.agent_at IS NOT NULL)
      -- no write when the marks are already right (a bulk load wrote them): no second, non-HOT row version
      AND (c.last_customer_message_at IS DISTINCT FROM GREATEST(c.last_customer_message_at, m.customer_at)
           OR c.last_agent_reply_at IS DISTINCT FROM GREATEST(c.last_agent_reply_at, m.agent_at));
    RETURN NULL;
END $$;
"""


def _backfill_marks() -> None:
    op.execute(
        """
        UPDATE "case" SET
            last_customer_message_at = (
                SELECT max(m.created_at) FROM message m WHERE m.case_id = "case".id AND m.author_type = 'contact'
            ),
            last_agent_reply_at = (
                SELECT max(m.created_at) FROM message m
                WHERE m.case_id = "case".id AND m.author_type = 'agent' AND m.visibility = 'public' AND m.kind = 'reply'
            )
        """
    )


def _upgrade_postgresql() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f'ALTER TABLE "case" ADD COLUMN awaiting_reply boolean GENERATED ALWAYS AS ({_AWAITING_REPLY}) STORED')
    op.execute(f'ALTER TABLE "case" ADD COLUMN priority_rank integer GENERATED ALWAYS AS ({_PRIORITY_RANK}) STORED')
    op.execute(
        'ALTER TABLE "case" ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ('
        "setweight(to_tsvector('simple', coalesce(title, '')), 'A') || "
        "setweight(to_tsvector('simple', coalesce(description, '')), 'B')) STORED"
    )
    op.execute(
        "ALTER TABLE message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        "to_tsvector('simple', coalesce(body_text, ''))) STORED"
    )
    op.execute('CREATE INDEX ix_case_search_vector ON "case" USING gin (search_vector)')
    op.execute("CREATE INDEX ix_message_search_vector ON message USING gin (search_vector)")
    for name, table, column in _TRGM:
        op.execute(f'CREATE INDEX {name} ON "{table}" USING gin ({column} gin_trgm_ops)')
    op.execute(_PG_MARKS)
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER message_marks_{event.lower()} AFTER {event} ON message "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION case_message_marks()"
        )


def _upgrade_sqlite() -> None:
    # plain columns kept by triggers: alembic's batch mode cannot rebuild a table with SQLite
    # generated columns (it reflects them wrongly), and later migrations may rebuild `case`
    op.add_column("case", sa.Column("awaiting_reply", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("case", sa.Column("priority_rank", sa.Integer(), nullable=False, server_default="0"))
    # the FTS tables and triggers, shared with `manage.migrate`, which re-creates any a rebuild dropped
    from cases.common.search_sql import ensure_sqlite_search_objects

    ensure_sqlite_search_objects(op.get_bind())


def upgrade() -> None:
    """Upgrade schema."""
    dialect = op.get_bind().dialect.name
    # plain ADD COLUMN on both backends: no table rebuild, so the SQLite triggers stay in place
    op.add_column("case", sa.Column("last_customer_message_at", _TS, nullable=True))
    op.add_column("case", sa.Column("last_agent_reply_at", _TS, nullable=True))
    op.add_column("case", sa.Column("sla_state", sa.String(length=20), nullable=False, server_default="none"))
    op.add_column("group", sa.Column("restricted", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "saved_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_agent_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("filters", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_agent_id"], ["agent.id"], name=op.f("fk_saved_search_owner_agent_id_agent"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search")),
    )
    op.create_index("ix_saved_search_owner", "saved_search", ["owner_agent_id"])
    op.create_index("ix_saved_search_shared", "saved_search", ["shared"])
    if dialect == "postgresql":
        _upgrade_postgresql()
    else:
        _upgrade_sqlite()  # needs saved_search: it marks a database at this revision
    _backfill_marks()
    for name, table, columns, where in _BTREE:
        kwargs = {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)} if where else {}
        op.create_index(name, table, columns, **kwargs)


def downgrade() -> None:
    """Downgrade schema."""
    dialect = op.get_bind().dialect.name
    op.drop_table("saved_search")
    for name, table, _columns, _where in reversed(_BTREE):
        op.drop_index(name, table_name=table)
    if dialect == "postgresql":
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS message_marks_{event} ON message")
        op.execute("DROP FUNCTION IF EXISTS case_message_marks()")
        for name, _table, _column in _TRGM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP INDEX IF EXISTS ix_message_search_vector")
        op.execute("DROP INDEX IF EXISTS ix_case_search_vector")
        op.execute("ALTER TABLE message DROP COLUMN search_vector")
        for column in ("search_vector", "priority_rank", "awaiting_reply"):
            op.execute(f'ALTER TABLE "case" DROP COLUMN {column}')
    else:
        for trigger in (
            "message_marks_insert",
            "message_marks_update",
            "message_fts_insert",
            "message_fts_delete",
            "message_fts_update",
            "case_fts_insert",
            "case_fts_delete",
            "case_fts_update",
            "case_derived_insert",
            "case_derived_update",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS message_fts")
        op.execute("DROP TABLE IF EXISTS case_fts")
        for column in ("priority_rank", "awaiting_reply"):
            op.execute(f'ALTER TABLE "case" DROP COLUMN {column}')
    op.drop_column("group", "restricted")
    for column in ("sla_state", "last_agent_reply_at", "last_customer_message_at"):
        op.drop_column("case", column)
