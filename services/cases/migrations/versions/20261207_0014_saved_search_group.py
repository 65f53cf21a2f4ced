"""saved search shared with a group

Revision ID: 0014_saved_search_group
Revises: 0013_forms
Create Date: 2026-12-07 23:30:00

Hand-written (decision 0244): a saved search may be shared with the members of one group instead of every
agent. Existing searches are shared with no group; a deleted group leaves its searches personal (SET NULL).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_saved_search_group"
down_revision: str | Sequence[str] | None = "0013_forms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("saved_search", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared_group_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_saved_search_shared_group_id_group"), "group", ["shared_group_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(op.f("ix_saved_search_shared_group"), ["shared_group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_search", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_search_shared_group")
        batch_op.drop_constraint(op.f("fk_saved_search_shared_group_id_group"), type_="foreignkey")
        batch_op.drop_column("shared_group_id")
