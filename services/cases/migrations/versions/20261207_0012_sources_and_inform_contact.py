"""the admin's list of sources; how a case's contact is informed

Revision ID: 0012_sources_and_inform_contact
Revises: 0011_outsider_replies
Create Date: 2026-12-07 23:20:00

Hand-written (decision 0234): `case_source` holds the sources agents pick from (A7), seeded with the ones the
system sets itself (built-in) and a few common others, each with whether its new cases are confirmed (E1,
decision 0235: email only, as before); `case.inform_contact` is the per-case choice of how the
contact hears about it (B16): null, for every existing case, follows the organisation's customer mail setting.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_sources_and_inform_contact"
down_revision: str | Sequence[str] | None = "0011_outsider_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (key, name, built-in): the built-ins are the values the system sets itself (contracts.cases.Source)
SOURCES = [
    ("email", "Email", True),
    ("phone", "Phone", True),
    ("portal", "Portal", True),
    ("web", "Web form", False),
    ("walk_in", "Walk-in", False),
    ("chat", "Chat", False),
    ("api", "API", True),
    ("sms", "SMS", True),
    ("agent", "Agent", True),
    ("scheduled", "Scheduled", True),
]


def upgrade() -> None:
    source = op.create_table(
        "case_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("builtin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("confirm", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_source")),
        sa.UniqueConstraint("key", name=op.f("uq_case_source_key")),
    )
    op.bulk_insert(
        source,
        [
            # only mail was confirmed before the setting existed: email keeps it, the others start without
            {"key": key, "name": name, "builtin": builtin, "active": True, "position": i, "confirm": key == "email"}
            for i, (key, name, builtin) in enumerate(SOURCES, start=1)
        ],
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inform_contact", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("inform_contact")
    op.drop_table("case_source")
