"""A reply waits for the mail it answers: `waiting_for`, `wait_until` and a partial index (decision 0223)

Revision ID: 0006_waiting_replies
Revises: 0005_inbound_attachment
Create Date: 2026-12-07 18:00:00

Hand-written; batch mode so SQLite can alter the table.
- `waiting_for`: the inbound mail a `waiting` reply answers (not a foreign key: it is a hint, never joined to
  anything that must exist).
- `wait_until`: when the reply stops waiting, whatever became of that mail.
- `ix_inbound_mail_waiting`: the worker's release step reads only the waiting rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0006_waiting_replies"
down_revision: str | Sequence[str] | None = "0005_inbound_attachment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_for", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("wait_until", chassis.db.UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_inbound_mail_waiting",
        "inbound_mail",
        ["id"],
        unique=False,
        postgresql_where=sa.text("status = 'waiting'"),
        sqlite_where=sa.text("status = 'waiting'"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_mail_waiting", table_name="inbound_mail")
    with op.batch_alter_table("inbound_mail", schema=None) as batch_op:
        batch_op.drop_column("wait_until")
        batch_op.drop_column("waiting_for")
