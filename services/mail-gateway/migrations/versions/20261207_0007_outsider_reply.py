"""mailbox.outsider_reply: what a reply from someone not on the case does

Revision ID: 0007_outsider_reply
Revises: 0006_waiting_replies
Create Date: 2026-12-07 18:00:00

Hand-written (decision 0220): internal (the default for every existing mailbox), public_follower or
new_linked_case (the behaviour before it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_outsider_reply"
down_revision: str | Sequence[str] | None = "0006_waiting_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outsider_reply", sa.String(length=20), server_default="internal", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("mailbox", schema=None) as batch_op:
        batch_op.drop_column("outsider_reply")
