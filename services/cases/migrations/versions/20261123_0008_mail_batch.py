"""mail_received batch consumption

Revision ID: 0008_mail_batch
Revises: 0007_import_key
Create Date: 2026-11-23 00:00:00

No schema change: grouped `mail_received` (decisions 0126, 0127) uses the existing unique indexes
(`processed_event` key, `message.inbound_mail_id`, `contact_email.email`). Kept so the chain stays one line.
"""

from collections.abc import Sequence

revision: str = "0008_mail_batch"
down_revision: str | Sequence[str] | None = "0007_import_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
