"""Saved searches (C2) created, changed and deleted by their owner (or an admin)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cases.search.reads_filters import Scope, conditions
from cases.search.reads_saved import agent_id_of, get_saved, saved_read
from cases.search.tables import SavedSearch
from chassis.db import utcnow
from contracts.errors import FORBIDDEN as _FORBIDDEN
from contracts.errors import DomainError
from contracts.search import SavedSearchRead, SavedSearchUpdate, SavedSearchWrite, SearchFilters

_PAGING = {"cursor", "limit"}


def _stored(session: Session, filters: SearchFilters) -> dict[str, Any]:
    conditions(session, filters)  # refuses unknown custom fields, SLA states, bad ranges now, not at use
    return filters.model_dump(mode="json", exclude=_PAGING, exclude_defaults=True)


def _own(row: SavedSearch, scope: Scope) -> None:
    if row.owner_agent_id != agent_id_of(scope) and not scope.is_admin:
        raise DomainError(_FORBIDDEN, "only the owner may change a shared search", {"saved_search_id": row.id})


def create(session: Session, scope: Scope, data: SavedSearchWrite) -> SavedSearchRead:
    now = utcnow()
    row = SavedSearch(
        owner_agent_id=agent_id_of(scope),
        name=data.name.strip(),
        shared=data.shared,
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
    if changes.name is not None:
        row.name = changes.name.strip()
    if changes.shared is not None:
        row.shared = changes.shared
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
