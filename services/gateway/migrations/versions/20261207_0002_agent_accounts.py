"""agent accounts: a credential may wait for its password (invite) or be deactivated; mailed set-password links

Revision ID: 0002_agent_accounts
Revises: 5d593a97ca47
Create Date: 2026-12-07 14:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0002_agent_accounts"
down_revision: str | Sequence[str] | None = "5d593a97ca47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("agent_credential", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=300), nullable=True)
        batch_op.add_column(sa.Column("deactivated_at", chassis.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_agent_credential_agent_id"), ["agent_id"], unique=False)
    op.create_table(
        "agent_access_token",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("credential_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", chassis.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_access_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agent_access_token_token_hash")),
    )
    with op.batch_alter_table("agent_access_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_access_token_credential_id"), ["credential_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("agent_access_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_access_token_credential_id"))
    op.drop_table("agent_access_token")
    with op.batch_alter_table("agent_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_credential_agent_id"))
        batch_op.drop_column("deactivated_at")
        batch_op.alter_column("password_hash", existing_type=sa.String(length=300), nullable=False)
