"""Saved searches (C2) created, changed and deleted by their owner (or an admin)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cases.common import repo
from cases.search.reads_filters import Scope, conditions
from cases.search.reads_saved import agent_id_of, get_saved, saved_read
from cases.search.tables import SavedSearch
from chassis.db import utcnow
from contracts.errors import FORBIDDEN as _FORBIDDEN
from contracts.errors import DomainError, ValidationFailed
from contracts.search import SavedSearchRead, SavedSearchUpdate, SavedSearchWrite, SearchFilters

_PAGING = {"cursor", "limit"}


def _stored(session: Session, filters: SearchFilters) -> dict[str, Any]:
    conditions(session, filters)  # refuses unknown custom fields, SLA states, bad ranges now, not at use
    return filters.model_dump(mode="json", exclude=_PAGING, exclude_defaults=True)


def _own(row: SavedSearch, scope: Scope) -> None:
    if row.owner_agent_id != agent_id_of(scope) and not scope.is_admin:
        raise DomainError(_FORBIDDEN, "only the owner may change a shared search", {"saved_search_id": row.id})


def _sharing(session: Session, shared: bool, group_id: int | None) -> None:
    """With everyone or with one group, not both; the group must exist (checked before the row changes, so a
    refusal leaves nothing pending)."""
    if shared and group_id is not None:
        raise ValidationFailed(
            message="share with every agent or with one group, not both",
            details={"shared": True, "shared_group_id": group_id},
        )
    if group_id is not None:
        repo.require_group(session, group_id)


def create(session: Session, scope: Scope, data: SavedSearchWrite) -> SavedSearchRead:
    _sharing(session, data.shared, data.shared_group_id)
    now = utcnow()
    row = SavedSearch(
        owner_agent_id=agent_id_of(scope),
        name=data.name.strip(),
        shared=data.shared,
        shared_group_id=data.shared_group_id,
        filters=_stored(session, data.filters),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return saved_read(row)


def update(session: Session, scope: Scope, search_id: int, changes: SavedSearchUpdate) -> SavedSearchRead:
    row = get_saved(session, search_id, scope)
    _own(row, scope)
    shared = row.shared if changes.shared is None else changes.shared
    group_id = changes.shared_group_id if "shared_group_id" in changes.model_fields_set else row.shared_group_id
    _sharing(session, shared, group_id)
    if changes.name is not None:
        row.name = changes.name.strip()
    row.shared, row.shared_group_id = shared, group_id
    if changes.filters is not None:
        row.filters = _stored(session, changes.filters)
    row.updated_at = utcnow()
    session.flush()
    return saved_read(row)


def delete(session: Session, scope: Scope, search_id: int) -> None:
    row = get_saved(session, search_id, scope)
    _own(row, scope)
    session.delete(row)
    session.flush()
