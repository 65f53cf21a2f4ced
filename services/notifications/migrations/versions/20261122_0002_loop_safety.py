"""loop safety (addresses suppressed after a hard bounce) and agents' in-app notifications

Revision ID: 0002_loop_safety
Revises: bb6fad99af3d
Create Date: 2026-11-22 18:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0002_loop_safety"
down_revision: str | Sequence[str] | None = "bb6fad99af3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "suppressed_address",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("original_message_id", sa.String(length=998), nullable=True),
        sa.Column("source_event_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_suppressed_address")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        # a bounce names our Message-ID: find the delivery it belongs to
        batch_op.create_index("ix_delivery_email_message_id", ["email_message_id"], unique=False)
    op.create_table(
        "agent_notification",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("case_number", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("source_event_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", chassis.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_notification")),
        sa.UniqueConstraint("source_event_id", "agent_id", "kind", name="uq_agent_notification_source_event_id"),
    )
    with op.batch_alter_table("agent_notification", schema=None) as batch_op:
        batch_op.create_index("ix_agent_notification_agent_id", ["agent_id", "read_at"], unique=False)
    op.create_table(
        "agent_preference",
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "kind", "channel", name=op.f("pk_agent_preference")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("agent_preference")
    with op.batch_alter_table("agent_notification", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_notification_agent_id")
    op.drop_table("agent_notification")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_email_message_id")
    op.drop_table("suppressed_address")
