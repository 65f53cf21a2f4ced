"""inbound_attachment: the attachments of processed mail by content hash (decision 0217)

Revision ID: 0005_inbound_attachment
Revises: 0004_imap_idle
Create Date: 2026-12-07 17:00:00

Hand-written. `get_attachment` asked "is this blob an attachment of some mail?" by casting every row's
`attachments` JSON to text and matching it with LIKE (a full scan). The new table answers through its
primary key (sha256 first). Its rows are filled from the JSON of the mails already processed, a thousand
mails at a time; the JSON column stays (the audit list shows it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import chassis.db

revision: str = "0005_inbound_attachment"
down_revision: str | Sequence[str] | None = "0004_imap_idle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
_mail = sa.table("inbound_mail", sa.column("id", sa.BigInteger), sa.column("attachments", chassis.db.JSONType))


def upgrade() -> None:
    table = op.create_table(
        "inbound_attachment",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("inbound_mail_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbound_mail_id"], ["inbound_mail.id"], name=op.f("fk_inbound_attachment_inbound_mail_id_inbound_mail")
        ),
        sa.PrimaryKeyConstraint("sha256", "inbound_mail_id", name=op.f("pk_inbound_attachment")),
    )
    conn = op.get_bind()
    after = 0
    while True:
        rows = conn.execute(
            sa.select(_mail.c.id, _mail.c.attachments).where(_mail.c.id > after).order_by(_mail.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        found = {
            (item["sha256"], mail_id)
            for mail_id, attachments in rows
            for item in attachments or []
            if isinstance(item, dict) and isinstance(item.get("sha256"), str)
        }
        if found:
            conn.execute(sa.insert(table), [{"sha256": sha, "inbound_mail_id": mail_id} for sha, mail_id in found])
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_table("inbound_attachment")
