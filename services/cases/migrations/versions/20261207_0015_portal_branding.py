"""portal: organisations sharing their cases with their members, and the portal's branding

Revision ID: 0015_portal_branding
Revises: 0014_saved_search_group
Create Date: 2026-12-07 23:00:00

Hand-written (decisions 0252, 0253): an organisation's setting that its contacts see each other's cases in the
portal (existing organisations: off), and one branding record per organisation plus a default ("default").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0015_portal_branding"
down_revision: str | Sequence[str] | None = "0014_saved_search_group"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("members_see_cases", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "portal_branding",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("welcome", sa.Text(), nullable=False),
        sa.Column("footer", sa.String(length=300), nullable=False),
        sa.Column("accent_colour", sa.String(length=7), nullable=True),
        sa.Column("header_colour", sa.String(length=7), nullable=True),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_content_type", sa.String(length=100), nullable=True),
        sa.Column("updated_at", chassis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_portal_branding_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_branding")),
        sa.UniqueConstraint("scope", name=op.f("uq_portal_branding_scope")),
    )


def downgrade() -> None:
    op.drop_table("portal_branding")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("members_see_cases")
