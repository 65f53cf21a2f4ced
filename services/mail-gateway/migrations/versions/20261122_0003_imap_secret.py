"""IMAP passwords encrypted at rest (decision 0087)

Revision ID: 0003_imap_secret
Revises: 0002_imap_threading
Create Date: 2026-11-22 21:00:00

Hand-written. No schema change: `mailbox.imap_password` keeps its Text column and now holds
"fernet:<token>"; this revision encrypts every plaintext value under the key derived from
HELPDESK_SECRET_KEY (the same settings the service runs with). Downgrade decrypts them again.
Runs the same on PostgreSQL and SQLite (plain UPDATEs by primary key).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_imap_secret"
down_revision: str | Sequence[str] | None = "0002_imap_threading"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_mailbox = sa.table("mailbox", sa.column("id", sa.Integer), sa.column("imap_password", sa.Text))


def _secret() -> str:
    from mail_gateway.settings import MailGatewaySettings

    return MailGatewaySettings().secret_key


def upgrade() -> None:
    from mail_gateway.mailbox_secrets import encrypt, is_encrypted

    conn = op.get_bind()
    secret = _secret()
    rows = conn.execute(sa.select(_mailbox.c.id, _mailbox.c.imap_password)).all()
    for mailbox_id, password in rows:
        if password and not is_encrypted(password):
            conn.execute(
                _mailbox.update()
                .where(_mailbox.c.id == mailbox_id)
                .values(imap_password=encrypt(password, secret=secret))
            )


def downgrade() -> None:
    from mail_gateway.mailbox_secrets import decrypt, is_encrypted

    conn = op.get_bind()
    secret = _secret()
    rows = conn.execute(sa.select(_mailbox.c.id, _mailbox.c.imap_password)).all()
    for mailbox_id, password in rows:
        if is_encrypted(password):
            conn.execute(
                _mailbox.update()
                .where(_mailbox.c.id == mailbox_id)
                .values(imap_password=decrypt(password, secret=secret))
            )
