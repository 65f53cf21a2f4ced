"""search plan: a short GIN pending list on the search indexes (PostgreSQL)

Revision ID: 0009_search_plan
Revises: 0008_mail_batch
Create Date: 2026-11-23 00:20:00

Hand-written (decision 0140). GIN's fast update queues new entries in a pending list that
every search reads in full until it is merged (at `gin_pending_list_limit`, 4 MB by default, or by
VACUUM): with a live help desk each search paid up to ~2 ms of CPU per index for it. 256 kB keeps the
batching of inserts (bulk COPY too) at a few percent more insert CPU (bench/README.md, search).
`ALTER INDEX ... SET` only changes the index's options: no rebuild, instant at a million cases.
SQLite (FTS5) has no such list: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_search_plan"
down_revision: str | Sequence[str] | None = "0008_mail_batch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# every GIN index a search reads (migration 0004)
_GIN = [
    "ix_case_search_vector",
    "ix_message_search_vector",
    "ix_case_title_trgm",
    "ix_contact_name_trgm",
    "ix_contact_email_email_trgm",
    "ix_organisation_name_trgm",
    "ix_case_attachment_filename_trgm",
]
PENDING_LIST_KB = 256


def upgrade() -> None:
    """Upgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _GIN:
        op.execute(f"ALTER INDEX IF EXISTS {name} SET (gin_pending_list_limit = {PENDING_LIST_KB})")


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in _GIN:
        op.execute(f"ALTER INDEX IF EXISTS {name} RESET (gin_pending_list_limit)")
