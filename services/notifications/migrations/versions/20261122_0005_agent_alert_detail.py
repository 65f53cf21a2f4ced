"""agents' in-app notifications keep their detail line (task title, SLA target and due time, mention excerpt)

Revision ID: 0005_agent_alert_detail
Revises: 0004_web_push
Create Date: 2026-11-22 21:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_agent_alert_detail"
down_revision: str | Sequence[str] | None = "0004_web_push"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # NOT NULL with a server default: existing rows get "" without a rewrite on PostgreSQL 11+
    with op.batch_alter_table("agent_notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("agent_notification", schema=None) as batch_op:
        batch_op.drop_column("detail")
