"""imap polling per mailbox, case numbers for subject tokens

Revision ID: 0002_imap_threading
Revises: 32e92aa0656a
Create Date: 2026-11-22 18:00:00

Hand-written (other columns change concurrently elsewhere); batch mode so SQLite can alter tables.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0002_imap_threading"
down_revision: Union[str, Sequence[str], None] = "32e92aa0656a"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None



def upgrade() -> None:
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("imap_host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("imap_port", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("imap_security", sa.String(length=10), nullable=False, server_default="ssl"))
        batch_op.add_column(sa.Column("imap_user", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("imap_password", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("imap_folder", sa.String(length=200), nullable=False, server_default="INBOX"))
        batch_op.add_column(sa.Column("imap_move_to", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("imap_poll_seconds", sa.Integer(), nullable=False, server_default="60"))
        batch_op.add_column(sa.Column("imap_uidvalidity", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("imap_last_uid", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("imap_next_poll_at", chassis.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("imap_last_polled_at", chassis.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("imap_last_error", sa.Text(), nullable=True))
    op.create_table(
        "case_ref",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_case_ref")),
    )


def downgrade() -> None:
    op.drop_table("case_ref")
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        for column in (
            "imap_last_error",
            "imap_last_polled_at",
            "imap_next_poll_at",
            "imap_last_uid",
            "imap_uidvalidity",
            "imap_poll_seconds",
            "imap_move_to",
            "imap_folder",
            "imap_password",
            "imap_user",
            "imap_security",
            "imap_port",
            "imap_host",
        ):
            batch_op.drop_column(column)
