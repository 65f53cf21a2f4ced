"""trusted image senders: the senders whose remote images an agent chose to always see

Revision ID: 0004_trusted_image_sender
Revises: 0003_audit_log
Create Date: 2026-12-07 21:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0004_trusted_image_sender"
down_revision: str | Sequence[str] | None = "0003_audit_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "trusted_image_sender",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("created_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_image_sender")),
        sa.UniqueConstraint("agent_id", "sender", name="uq_trusted_image_sender_agent_id_sender"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("trusted_image_sender")
