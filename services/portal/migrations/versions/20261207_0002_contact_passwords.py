"""contact passwords and the mailed links that set them

Revision ID: 0002_contact_passwords
Revises: 91c46d784d77
Create Date: 2026-12-07 23:00:00

Hand-written (decision 0251): a contact's portal password hash, and the single-use links (registration,
reset) that set one; only the sha256 of a link's token is stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0002_contact_passwords"
down_revision: str | Sequence[str] | None = "91c46d784d77"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = chassis.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contact_password",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_password")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_contact_password_contact_id")),
    )
    op.create_table(
        "password_link",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("used_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_link_token_hash")),
    )
    with op.batch_alter_table("password_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_link_contact_id"), ["contact_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("password_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_link_contact_id"))
    op.drop_table("password_link")
    op.drop_table("contact_password")
