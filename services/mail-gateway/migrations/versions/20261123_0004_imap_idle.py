"""IMAP IDLE per mailbox, and a lease so one process at a time fetches a mailbox (decision 0147)

Revision ID: 0004_imap_idle
Revises: 0003_imap_secret
Create Date: 2026-11-23 00:00:00

Hand-written; batch mode so SQLite can alter the table.
- `use_idle`: watch the folder with IDLE when the server offers it (default on; polling stays the fallback).
- `imap_idle_supported`: what the server said last time (NULL: not known yet; reset when the mailbox is saved).
- `imap_lease_owner`, `imap_lease_until`: the worker process that may fetch this mailbox now, and until when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0004_imap_idle"
down_revision: str | Sequence[str] | None = "0003_imap_secret"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("use_idle", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("imap_idle_supported", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("imap_lease_owner", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("imap_lease_until", chassis.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        for column in ("imap_lease_until", "imap_lease_owner", "imap_idle_supported", "use_idle"):
            batch_op.drop_column(column)
