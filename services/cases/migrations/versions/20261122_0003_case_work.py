"""case work: tasks, attachments, time, templates, canned replies, recurrence, signatures, links

Revision ID: 0003_case_work
Revises: 0002_case_model
Create Date: 2026-11-22 18:10:00

Hand-written: several engineers change the models concurrently.
"""

from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import chassis.db

revision: str = "0003_case_work"
down_revision: str | Sequence[str] | None = "0002_case_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
_TS = chassis.db.UTCDateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="reply"))
        batch_op.add_column(sa.Column("recipients", _JSON, nullable=False, server_default=sa.text("'[]'")))
    # notes written before this revision were stored as plain messages
    op.execute("UPDATE message SET kind = 'note' WHERE visibility = 'internal' AND author_type <> 'system'")
    op.execute("UPDATE message SET kind = 'system' WHERE author_type = 'system'")

    op.create_table(
        "case_task",
        _id(),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("due_at", _TS, nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_at", _TS, nullable=True),
        sa.Column("approver_contact_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decided_by_contact_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_task_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assignee_id"], ["agent.id"], name=op.f("fk_case_task_assignee_id_agent")),
        sa.ForeignKeyConstraint(["group_id"], ["group.id"], name=op.f("fk_case_task_group_id_group")),
        sa.ForeignKeyConstraint(
            ["approver_contact_id"], ["contact.id"], name=op.f("fk_case_task_approver_contact_id_contact")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_contact_id"], ["contact.id"], name=op.f("fk_case_task_decided_by_contact_id_contact")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_task")),
    )
    op.create_index(op.f("ix_case_task_case_id"), "case_task", ["case_id"])
    op.create_index(op.f("ix_case_task_approver_contact_id"), "case_task", ["approver_contact_id"])

    op.create_table(
        "case_attachment",
        _id(),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_attachment_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_case_attachment_message_id_message"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_attachment")),
    )
    op.create_index(op.f("ix_case_attachment_case_id"), "case_attachment", ["case_id"])
    op.create_index(op.f("ix_case_attachment_message_id"), "case_attachment", ["message_id"])

    op.create_table(
        "time_entry",
        _id(),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("started_at", _TS, nullable=True),
        sa.Column("ended_at", _TS, nullable=True),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_time_entry_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_time_entry_agent_id_agent")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entry")),
    )
    op.create_index(op.f("ix_time_entry_case_id"), "time_entry", ["case_id"])
    op.create_index("ix_time_entry_agent_running", "time_entry", ["agent_id", "running"])

    op.create_table(
        "case_template",
        _id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("solution", sa.Text(), nullable=False),
        sa.Column("default_status", sa.String(length=20), nullable=False),
        sa.Column("default_priority", sa.String(length=20), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["group.id"], name=op.f("fk_case_template_group_id_group")),
        sa.ForeignKeyConstraint(["assignee_id"], ["agent.id"], name=op.f("fk_case_template_assignee_id_agent")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_template")),
        sa.UniqueConstraint("name", name=op.f("uq_case_template_name")),
    )

    op.create_table(
        "canned_reply",
        _id(),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_reply")),
        sa.UniqueConstraint("title", name=op.f("uq_canned_reply_title")),
    )

    op.create_table(
        "recurrence",
        _id(),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("every", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("start_at", _TS, nullable=False),
        sa.Column("next_at", _TS, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["case_template.id"],
            name=op.f("fk_recurrence_template_id_case_template"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurrence")),
    )
    op.create_index(op.f("ix_recurrence_template_id"), "recurrence", ["template_id"])
    op.create_index(op.f("ix_recurrence_next_at"), "recurrence", ["next_at"])

    op.create_table(
        "recurrence_run",
        _id(),
        sa.Column("recurrence_id", sa.Integer(), nullable=False),
        sa.Column("slot_at", _TS, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["recurrence_id"],
            ["recurrence.id"],
            name=op.f("fk_recurrence_run_recurrence_id_recurrence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_recurrence_run_case_id_case"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurrence_run")),
        sa.UniqueConstraint("recurrence_id", "slot_at", name=op.f("uq_recurrence_run_recurrence_id")),
    )

    op.create_table(
        "case_origin",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("recurrence_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_origin_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["case_template.id"],
            name=op.f("fk_case_origin_template_id_case_template"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recurrence_id"], ["recurrence.id"], name=op.f("fk_case_origin_recurrence_id_recurrence"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_origin")),
    )

    op.create_table(
        "signature",
        _id(),
        sa.Column("scope_key", sa.String(length=400), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("mailbox", sa.String(length=320), nullable=True),
        sa.Column("greeting", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_signature_agent_id_agent"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
        sa.UniqueConstraint("scope_key", name=op.f("uq_signature_scope_key")),
    )

    op.create_table(
        "case_link",
        _id(),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("other_case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_link_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["other_case_id"], ["case.id"], name=op.f("fk_case_link_other_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_link")),
        sa.UniqueConstraint("case_id", "other_case_id", "kind", name=op.f("uq_case_link_case_id")),
    )
    op.create_index(op.f("ix_case_link_case_id"), "case_link", ["case_id"])
    op.create_index(op.f("ix_case_link_other_case_id"), "case_link", ["other_case_id"])


def downgrade() -> None:
    """Downgrade schema."""
    for table in (
        "case_link",
        "signature",
        "case_origin",
        "recurrence_run",
        "recurrence",
        "canned_reply",
        "case_template",
        "time_entry",
        "case_attachment",
        "case_task",
    ):
        op.drop_table(table)
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("recipients")
        batch_op.drop_column("kind")
