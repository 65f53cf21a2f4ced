"""outsider replies: organisation domains and colleague setting, message flag

Revision ID: 0011_outsider_replies
Revises: 0010_agent_role
Create Date: 2026-12-07 18:00:00

Hand-written (decision 0220): an organisation's mail domains and whether colleagues' replies join publicly;
a message's flag for a mail from someone not on the case. Existing rows: no domains, setting off, not flagged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chassis.db import JSONType

revision: str = "0011_outsider_replies"
down_revision: str | Sequence[str] | None = "0010_agent_role"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("domains", JSONType, server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("colleagues_join_publicly", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_outsider", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("from_outsider")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("colleagues_join_publicly")
        batch_op.drop_column("domains")
