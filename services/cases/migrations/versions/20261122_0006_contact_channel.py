"""contact channel preference (prefers SMS) and notification-related directory fields

Revision ID: 0006_contact_channel
Revises: 0005_sla
Create Date: 2026-11-22 20:05:00

Hand-written: several engineers change the models concurrently.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_contact_channel"
down_revision: str | Sequence[str] | None = "0005_sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # email | sms; existing contacts keep hearing from us by email
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("preferred_channel", sa.String(length=10), server_default="email", nullable=False)
        )
    # the mailbox an email case came in on (notifications answers from it, decision 0101)
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailbox", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("mailbox")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("preferred_channel")
