"""department forms: definitions, and the answers a case was opened with

Revision ID: 0013_forms
Revises: 0012_sources_and_inform_contact
Create Date: 2026-12-07 23:00:00

Hand-written (decisions 0257, 0258): `form` holds each definition's pages as JSON; `case_form` keeps a
form-opened case's complete answer set, unique per portal submission so a redelivered one opens no second case.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db
from chassis.db import JSONType

revision: str = "0013_forms"
down_revision: str | Sequence[str] | None = "0012_sources_and_inform_contact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("pages", JSONType, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form")),
    )
    with op.batch_alter_table("form", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_group_id"), ["group_id"], unique=False)
    op.create_table(
        "case_form",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=True),
        sa.Column("form_name", sa.String(length=200), nullable=False),
        sa.Column("submission_id", sa.String(length=64), nullable=False),
        sa.Column("answers", JSONType, nullable=False),
        sa.Column("submitted_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_form_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_form")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_case_form_submission_id")),
    )


def downgrade() -> None:
    op.drop_table("case_form")
    with op.batch_alter_table("form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_group_id"))
    op.drop_table("form")
