"""per-mailbox sending: the copy of each mailbox's SMTP server, and the sender of each delivery

Revision ID: 0006_mailbox_relays
Revises: 0005_agent_alert_detail
Create Date: 2026-12-07 20:15:00

Hand-written (decisions 0227, 0228): `mailbox_relay` is filled from mail-gateway's
`mailbox_sending_changed`; `delivery.sender_address` says which mailbox a mail is from (null: the
service's own sender, as every delivery queued before this revision).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0006_mailbox_relays"
down_revision: str | Sequence[str] | None = "0005_agent_alert_detail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailbox_relay",
        sa.Column("mailbox_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("smtp_host", sa.String(length=255), nullable=True),
        sa.Column("smtp_port", sa.Integer(), nullable=True),
        sa.Column("smtp_security", sa.String(length=10), nullable=False),
        sa.Column("smtp_auth", sa.String(length=10), nullable=False),
        sa.Column("smtp_user", sa.String(length=320), nullable=False),
        sa.Column("smtp_password_sealed", sa.Text(), nullable=False),
        sa.Column("changed_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox_id", name=op.f("pk_mailbox_relay")),
    )
    op.create_index("ix_mailbox_relay_address", "mailbox_relay", ["address"], unique=False)
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_address", sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("sender_address")
    op.drop_index("ix_mailbox_relay_address", table_name="mailbox_relay")
    op.drop_table("mailbox_relay")
