"""unique import key (source, external_id); SLA recompute jobs

Revision ID: 0007_import_key
Revises: 0006_contact_channel
Create Date: 2026-11-23 00:00:00

Hand-written (decisions 0142 and 0144):
- `case.import_source` + `case.import_external_id` with a partial unique index (where the external id is
  set), backfilled from the `imported` history rows. Cases imported twice before this constraint existed
  are not deleted (they may have been worked on since): the oldest keeps the key, each later one is tagged
  `import-duplicate` and gets an `import_duplicate` history row naming the case that kept it.
- `sla_recompute_job`: SLA recomputations too big for a request, worked off by the cases worker's timer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import chassis.db

revision: str = "0007_import_key"
down_revision: str | Sequence[str] | None = "0006_contact_channel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = chassis.db.UTCDateTime(timezone=True)
DEFAULT_SOURCE = "import"  # cases.bulk.importer.DEFAULT_SOURCE: what imports before this revision used
DUPLICATE_TAG = "import-duplicate"

# the first case imported with an external id keeps it; later copies are duplicates
_KEY_CASES = """
    UPDATE "case" SET import_source = :source, import_external_id = (
        SELECT MIN(h.new_value) FROM case_history h
        WHERE h.case_id = "case".id AND h.field = 'imported' AND h.new_value IS NOT NULL
    )
    WHERE id IN (
        SELECT MIN(k.case_id) FROM case_history k
        WHERE k.field = 'imported' AND k.new_value IS NOT NULL GROUP BY k.new_value
    )
"""
_TAG_DUPLICATES = """
    INSERT INTO case_tag (case_id, tag)
    SELECT DISTINCT d.case_id, :tag FROM (
        SELECT h.case_id, h.new_value FROM case_history h
        WHERE h.field = 'imported' AND h.new_value IS NOT NULL AND h.case_id NOT IN (
            SELECT MIN(k.case_id) FROM case_history k
            WHERE k.field = 'imported' AND k.new_value IS NOT NULL GROUP BY k.new_value
        )
    ) d
    WHERE NOT EXISTS (SELECT 1 FROM case_tag t WHERE t.case_id = d.case_id AND t.tag = :tag)
"""
_EXPLAIN_DUPLICATES = """
    INSERT INTO case_history
        (case_id, field, old_value, new_value, actor_type, actor_id, actor_name, channel, created_at)
    SELECT d.case_id, 'import_duplicate', d.new_value,
           (SELECT CAST(c.number AS VARCHAR(20)) FROM "case" c
            WHERE c.import_source = :source AND c.import_external_id = d.new_value),
           'system', NULL, 'migration 0007', 'system', CURRENT_TIMESTAMP
    FROM (
        SELECT h.case_id, h.new_value FROM case_history h
        WHERE h.field = 'imported' AND h.new_value IS NOT NULL AND h.case_id NOT IN (
            SELECT MIN(k.case_id) FROM case_history k
            WHERE k.field = 'imported' AND k.new_value IS NOT NULL GROUP BY k.new_value
        )
    ) d
"""


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_source", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("import_external_id", sa.String(length=200), nullable=True))

    op.execute(sa.text(_KEY_CASES).bindparams(source=DEFAULT_SOURCE))
    # later copies of an external id: findable (tag) and explained (history), never deleted
    op.execute(sa.text(_TAG_DUPLICATES).bindparams(tag=DUPLICATE_TAG))
    op.execute(sa.text(_EXPLAIN_DUPLICATES).bindparams(source=DEFAULT_SOURCE))
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(
            "uq_case_import_key",
            ["import_source", "import_external_id"],
            unique=True,
            postgresql_where=sa.text("import_external_id IS NOT NULL"),
            sqlite_where=sa.text("import_external_id IS NOT NULL"),
        )

    op.create_table(
        "sla_recompute_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column(
            "criteria", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("after_case_id", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_recompute_job")),
    )
    with op.batch_alter_table("sla_recompute_job", schema=None) as batch_op:
        batch_op.create_index("ix_sla_recompute_job_finished_at", ["finished_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sla_recompute_job", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_recompute_job_finished_at")
    op.drop_table("sla_recompute_job")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("uq_case_import_key")
        batch_op.drop_column("import_external_id")
        batch_op.drop_column("import_source")
