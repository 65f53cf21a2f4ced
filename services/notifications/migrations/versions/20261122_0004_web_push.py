"""web push and SMS for agents: browser subscriptions (VAPID) and agents' SMS numbers

Revision ID: 0004_web_push
Revises: 0003_customer_mail
Create Date: 2026-11-22 20:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0004_web_push"
down_revision: str | Sequence[str] | None = "0003_customer_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "push_subscription",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("created_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscription")),
        sa.UniqueConstraint("endpoint", name="uq_push_subscription_endpoint"),
    )
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.create_index("ix_push_subscription_agent_id", ["agent_id"], unique=False)
    op.create_table(
        "agent_sms_number",
        sa.Column("agent_id", sa.BigInteger(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("updated_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agent_sms_number")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("agent_sms_number")
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_push_subscription_agent_id")
    op.drop_table("push_subscription")
