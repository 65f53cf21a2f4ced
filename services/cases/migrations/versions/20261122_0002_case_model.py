"""case model: types, statuses, organisations, followers, tags, mentions, custom fields, settings

Revision ID: 0002_case_model
Revises: c7458975051a
Create Date: 2026-11-22 18:00:00

Hand-written: several engineers change the models concurrently.
"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import chassis.db

revision: str = "0002_case_model"
down_revision: str | Sequence[str] | None = "c7458975051a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
_TS = chassis.db.UTCDateTime(timezone=True)

# the built-in rows every workspace starts with (decisions 0015, 0016)
_TYPES = [("Fault", 1), ("Order", 2), ("Other", 3)]
_STATUSES = [
    ("New", "new", 1),
    ("Open", "open", 2),
    ("Waiting on contact", "waiting", 3),
    ("Dormant", "dormant", 4),
    ("Resolved", "resolved", 5),
    ("Closed", "closed", 6),
]


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("name", name=op.f("uq_organisation_name")),
    )
    op.create_table(
        "case_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_type")),
        sa.UniqueConstraint("name", name=op.f("uq_case_type_name")),
    )
    op.bulk_insert(
        sa.table("case_type", sa.column("name", sa.String), sa.column("position", sa.Integer)),
        [{"name": n, "position": p} for n, p in _TYPES],
    )
    op.create_table(
        "case_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_status")),
        sa.UniqueConstraint("name", name=op.f("uq_case_status_name")),
    )
    op.bulk_insert(
        sa.table(
            "case_status",
            sa.column("name", sa.String),
            sa.column("category", sa.String),
            sa.column("builtin", sa.Boolean),
            sa.column("position", sa.Integer),
        ),
        [{"name": n, "category": c, "builtin": True, "position": p} for n, c, p in _STATUSES],
    )
    op.create_table(
        "custom_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("options", _JSON, nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("required", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field")),
        sa.UniqueConstraint("key", name=op.f("uq_custom_field_key")),
    )
    op.create_table(
        "field_config",
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("required", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("field", name=op.f("pk_field_config")),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", _JSON, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_foreign_key(
            op.f("fk_contact_organisation_id_organisation"), "organisation", ["organisation_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_contact_organisation_id"), ["organisation_id"], unique=False)

    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("type_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("status_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("category", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("solution", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("due_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("external_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dormant_until", _TS, nullable=True))
        batch_op.add_column(sa.Column("held_for_approval", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_foreign_key(op.f("fk_case_type_id_case_type"), "case_type", ["type_id"], ["id"])
        batch_op.create_foreign_key(op.f("fk_case_status_id_case_status"), "case_status", ["status_id"], ["id"])
        batch_op.create_foreign_key(
            op.f("fk_case_organisation_id_organisation"), "organisation", ["organisation_id"], ["id"]
        )
        batch_op.create_foreign_key(op.f("fk_case_parent_id_case"), "case", ["parent_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_case_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_case_dormant_until", ["status", "dormant_until"], unique=False)

    with op.batch_alter_table("case_history", schema=None) as batch_op:
        # the case version a change was applied on (B11: which fields changed since a stale read)
        batch_op.add_column(sa.Column("case_version", sa.Integer(), nullable=True))

    # existing cases point at the built-in status of their category
    op.execute(
        'UPDATE "case" SET status_id = (SELECT s.id FROM case_status s WHERE s.builtin AND s.category = "case".status)'
    )

    op.create_table(
        "case_follower",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_follower_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_case_follower_contact_id_contact"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "contact_id", name=op.f("pk_case_follower")),
    )
    op.create_table(
        "case_tag",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_tag_case_id_case"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "tag", name=op.f("pk_case_tag")),
    )
    with op.batch_alter_table("case_tag", schema=None) as batch_op:
        batch_op.create_index("ix_case_tag_tag", ["tag"], unique=False)
    op.create_table(
        "case_custom_value",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("field_key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_custom_value_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "field_key", name=op.f("pk_case_custom_value")),
    )
    op.create_table(
        "mention",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_mention_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_mention_message_id_message"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_mention_agent_id_agent"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mention")),
        sa.UniqueConstraint("message_id", "agent_id", name=op.f("uq_mention_message_id")),
    )
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mention_agent_id"), ["agent_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("mention")
    op.drop_table("case_custom_value")
    op.drop_table("case_tag")
    op.drop_table("case_follower")
    with op.batch_alter_table("case_history", schema=None) as batch_op:
        batch_op.drop_column("case_version")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_dormant_until")
        batch_op.drop_index(batch_op.f("ix_case_parent_id"))
        batch_op.drop_constraint(op.f("fk_case_parent_id_case"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_case_organisation_id_organisation"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_case_status_id_case_status"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_case_type_id_case_type"), type_="foreignkey")
        for column in (
            "held_for_approval",
            "dormant_until",
            "parent_id",
            "organisation_id",
            "external_ref",
            "due_at",
            "solution",
            "category",
            "status_id",
            "type_id",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_organisation_id"))
        batch_op.drop_constraint(op.f("fk_contact_organisation_id_organisation"), type_="foreignkey")
        batch_op.drop_column("approved")
        batch_op.drop_column("organisation_id")
        batch_op.drop_column("phone")
    op.drop_table("setting")
    op.drop_table("field_config")
    op.drop_table("custom_field")
    op.drop_table("case_status")
    op.drop_table("case_type")
    op.drop_table("organisation")
