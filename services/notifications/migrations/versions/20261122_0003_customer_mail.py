"""customer mail: organisation settings of customer notifications (E3)

Revision ID: 0003_customer_mail
Revises: 0002_loop_safety
Create Date: 2026-11-22 20:05:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0003_customer_mail"
down_revision: str | Sequence[str] | None = "0002_loop_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "customer_mail_setting",
        sa.Column("scope_key", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("conversation", sa.String(length=10), nullable=True),
        sa.Column("sender_address", sa.String(length=320), nullable=True),
        sa.Column("sender_name", sa.String(length=200), nullable=True),
        sa.Column("closing_greeting", sa.Text(), nullable=True),
        sa.Column("cc_followers", sa.Boolean(), nullable=True),
        sa.Column("updated_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope_key", name=op.f("pk_customer_mail_setting")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("customer_mail_setting")
