"""agent role: admin | agent | light_agent instead of is_admin

Revision ID: 0010_agent_role
Revises: 0009_search_plan
Create Date: 2026-12-07 00:00:00

Hand-written (decision 0195): `agent.role` replaces `agent.is_admin`; admins become `admin`, everyone else
`agent` (there were no light agents before). Downgrading turns light agents into agents.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_agent_role"
down_revision: str | Sequence[str] | None = "0009_search_plan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), server_default="agent", nullable=False))
    op.execute("UPDATE agent SET role = CASE WHEN is_admin THEN 'admin' ELSE 'agent' END")
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.drop_column("is_admin")


def downgrade() -> None:
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE agent SET is_admin = (role = 'admin')")
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.drop_column("role")
