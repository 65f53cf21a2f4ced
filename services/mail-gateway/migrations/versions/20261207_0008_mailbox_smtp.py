"""mailbox.smtp_*: a mailbox's own SMTP server for its outgoing mail

Revision ID: 0008_mailbox_smtp
Revises: 0007_outsider_reply
Create Date: 2026-12-07 20:10:00

Hand-written (decision 0227): no mailbox has its own server yet, so every one keeps sending through the
global relay; smtp_version counts changes for notifications' copy (decision 0228).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_mailbox_smtp"
down_revision: str | Sequence[str] | None = "0007_outsider_reply"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("smtp_host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("smtp_port", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("smtp_security", sa.String(length=10), server_default="starttls", nullable=False))
        batch_op.add_column(sa.Column("smtp_auth", sa.String(length=10), server_default="password", nullable=False))
        batch_op.add_column(sa.Column("smtp_user", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("smtp_password", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("smtp_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        for name in ("smtp_version", "smtp_password", "smtp_user", "smtp_auth", "smtp_security", "smtp_port"):
            batch_op.drop_column(name)
        batch_op.drop_column("smtp_host")
