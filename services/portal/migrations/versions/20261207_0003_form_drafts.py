"""form drafts: a contact's answers to a department form until it is sent, and their files

Revision ID: 0003_form_drafts
Revises: 0002_contact_passwords
Create Date: 2026-12-07 23:00:00

Hand-written (decision 0258). The lead re-chains it after another branch's 0002 at merge.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db
from chassis.db import JSONType

revision: str = "0003_form_drafts"
down_revision: str | Sequence[str] | None = "0002_contact_passwords"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "form_draft",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("form_id", sa.BigInteger(), nullable=False),
        sa.Column("definition", JSONType, nullable=False),
        sa.Column("answers", JSONType, nullable=False),
        sa.Column("updated_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_draft")),
        sa.UniqueConstraint("contact_id", "form_id", name=op.f("uq_form_draft_contact_id")),
    )
    with op.batch_alter_table("form_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_draft_updated_at"), ["updated_at"], unique=False)
    op.create_table(
        "form_draft_file",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("draft_id", _BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["form_draft.id"], name=op.f("fk_form_draft_file_draft_id_form_draft"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_draft_file")),
        sa.UniqueConstraint("draft_id", "key", name=op.f("uq_form_draft_file_draft_id")),
    )
    with op.batch_alter_table("form_draft_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_draft_file_draft_id"), ["draft_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("form_draft_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_draft_file_draft_id"))
    op.drop_table("form_draft_file")
    with op.batch_alter_table("form_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_draft_updated_at"))
    op.drop_table("form_draft")
