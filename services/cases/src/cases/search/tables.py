"""Tables of search and inbox views: saved searches, and the indexes of the list sorts and views.

The full-text structures are not mapped: on PostgreSQL the generated `search_vector` columns of
`case` and `message` (tsvector, config `simple`) with GIN indexes, on SQLite the FTS5 tables
`case_fts` and `message_fts` (external content, kept by triggers). Migration 0004 creates them;
`cases.search.reads_fulltext` queries them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cases.case.tables import Case, CaseCustomValue, Mention
from cases.common.search_sql import OPEN_SQL
from cases.common.tables import Base
from cases.tasks.tables import CaseTask
from chassis.db import JSONType, utcnow


class SavedSearch(Base):
    """A named filter set (C2): personal to its owner, shared with every agent, or with one group's members."""

    __tablename__ = "saved_search"
    __table_args__ = (
        Index("ix_saved_search_owner", "owner_agent_id"),
        Index("ix_saved_search_shared", "shared"),
        Index("ix_saved_search_shared_group", "shared_group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    # shared with the members of this group only (decision 0244); a deleted group leaves it personal
    shared_group_id: Mapped[int | None] = mapped_column(ForeignKey("group.id", ondelete="SET NULL"), nullable=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


def _partial(where: str) -> dict[str, Any]:
    return {"postgresql_where": text(where), "sqlite_where": text(where)}


# btree indexes of the list sorts and the inbox views, as migration 0004 creates them
Index("ix_case_created_id", Case.created_at, Case.id)


Index("ix_case_updated_id", Case.updated_at, Case.id)


Index("ix_case_priority_id", Case.priority_rank, Case.id)


Index("ix_case_sla_state", Case.sla_state)


Index("ix_case_organisation_id", Case.organisation_id)


Index("ix_case_assignee_status_upd", Case.assignee_id, Case.status, Case.updated_at, Case.id)


Index("ix_case_status_priority_id", Case.status, Case.priority, Case.id)


Index("ix_case_open_updated", Case.updated_at, Case.id, **_partial(OPEN_SQL))


Index("ix_case_assignee_open_upd", Case.assignee_id, Case.updated_at, Case.id, **_partial(OPEN_SQL))


Index("ix_case_group_open_upd", Case.group_id, Case.updated_at, Case.id, **_partial(OPEN_SQL))


Index(
    "ix_case_assignee_unanswered",
    Case.assignee_id,
    Case.updated_at,
    Case.id,
    **_partial(f"awaiting_reply AND {OPEN_SQL}"),
)


Index("ix_case_task_assignee_open", CaseTask.assignee_id, CaseTask.case_id, **_partial("NOT done"))


Index("ix_mention_agent_case", Mention.agent_id, Mention.case_id)


Index("ix_case_custom_value_field", CaseCustomValue.field_key, CaseCustomValue.value)
