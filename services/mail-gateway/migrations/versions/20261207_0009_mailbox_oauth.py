"""mailbox_oauth: OAuth2 sign-in (SASL XOAUTH2) of a mailbox, its encrypted tokens and pending consent

Revision ID: 0009_mailbox_oauth
Revises: 0008_mailbox_smtp
Create Date: 2026-12-07 20:10:00

Hand-written (decisions 0224-0226).
"""

from collections.abc import Sequence

import sqlalchemy as sa

import chassis.db
from alembic import op

revision: str = "0009_mailbox_oauth"
down_revision: str | Sequence[str] | None = "0008_mailbox_smtp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailbox_oauth",
        sa.Column("mailbox_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.String(length=500), nullable=True),
        sa.Column("client_secret", sa.Text(), nullable=True),
        sa.Column("tenant", sa.String(length=200), nullable=True),
        sa.Column("authorize_url", sa.Text(), nullable=False),
        sa.Column("token_url", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("expires_at", chassis.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("connected_at", chassis.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refreshed_at", chassis.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state_sha256", sa.String(length=64), nullable=True),
        sa.Column("code_verifier", sa.Text(), nullable=True),
        sa.Column("redirect_uri", sa.Text(), nullable=True),
        sa.Column("state_expires_at", chassis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["mailbox_id"], ["mailbox.id"], name=op.f("fk_mailbox_oauth_mailbox_id_mailbox"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mailbox_id", name=op.f("pk_mailbox_oauth")),
        sa.UniqueConstraint("state_sha256", name=op.f("uq_mailbox_oauth_state_sha256")),
    )
    op.create_index(op.f("ix_mailbox_oauth_expires_at"), "mailbox_oauth", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mailbox_oauth_expires_at"), table_name="mailbox_oauth")
    op.drop_table("mailbox_oauth")
