"""SLA: policies, business-hours calendars, holidays, per-case clocks

Revision ID: 0005_sla
Revises: 0004_search
Create Date: 2026-11-22 20:05:00

Hand-written: several engineers change the models concurrently.
"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import chassis.db

revision: str = "0005_sla"
down_revision: str | Sequence[str] | None = "0004_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
_TS = chassis.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "business_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", _JSON, nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("subdivision", sa.String(length=10), nullable=True),
        sa.Column("closed_dates", _JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendar")),
        sa.UniqueConstraint("name", name=op.f("uq_business_calendar_name")),
    )
    op.create_table(
        "sla_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("calendar_id", sa.Integer(), nullable=True),
        sa.Column("warning_percent", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["type_id"], ["case_type.id"], name=op.f("fk_sla_policy_type_id_case_type"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name=op.f("fk_sla_policy_group_id_group"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["calendar_id"], ["business_calendar.id"], name=op.f("fk_sla_policy_calendar_id_business_calendar")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policy")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policy_name")),
    )
    op.create_index(op.f("ix_sla_policy_calendar_id"), "sla_policy", ["calendar_id"])
    op.create_table(
        "case_sla_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("target_minutes", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("due_at", _TS, nullable=True),
        sa.Column("warn_at", _TS, nullable=True),
        sa.Column("met_at", _TS, nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("warn_pending_at", _TS, nullable=True),
        sa.Column("breach_pending_at", _TS, nullable=True),
        sa.Column("warned_due_at", _TS, nullable=True),
        sa.Column("breached_due_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_sla_target_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["sla_policy.id"], name=op.f("fk_case_sla_target_policy_id_sla_policy"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_sla_target")),
        sa.UniqueConstraint("case_id", "metric", name=op.f("uq_case_sla_target_case_id")),
    )
    op.create_index(op.f("ix_case_sla_target_policy_id"), "case_sla_target", ["policy_id"])
    op.create_index("ix_case_sla_target_warn_pending_at", "case_sla_target", ["warn_pending_at"])
    op.create_index("ix_case_sla_target_breach_pending_at", "case_sla_target", ["breach_pending_at"])
    op.create_table(
        "sla_event_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_sla_event_sent_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_event_sent")),
        sa.UniqueConstraint("case_id", "metric", "kind", "due_at", name=op.f("uq_sla_event_sent_case_id")),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_due_at", _TS, nullable=True))
        batch_op.create_index(batch_op.f("ix_case_sla_due_at"), ["sla_due_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_sla_due_at"))
        batch_op.drop_column("sla_due_at")
    op.drop_table("sla_event_sent")
    op.drop_index("ix_case_sla_target_breach_pending_at", table_name="case_sla_target")
    op.drop_index("ix_case_sla_target_warn_pending_at", table_name="case_sla_target")
    op.drop_index(op.f("ix_case_sla_target_policy_id"), table_name="case_sla_target")
    op.drop_table("case_sla_target")
    op.drop_index(op.f("ix_sla_policy_calendar_id"), table_name="sla_policy")
    op.drop_table("sla_policy")
    op.drop_table("business_calendar")
