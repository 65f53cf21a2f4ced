"""SLA: policies, business-hours calendars, holidays, per-case clocks

Revision ID: 0005_sla
Revises: 0004_search
Create Date: 2026-11-22 20:05:00

Hand-written (issue 6 / issue 5): several engineers change the models concurrently.
"""

from collections.abc import Sequence

revision: str = "0005_sla"
down_revision: str | Sequence[str] | None = "0004_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
