"""Saved searches (C2): personal or shared filter sets, used as folders with counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from cases.common.case_rows import CaseRows
from cases.common.write_invalidated import WriteInvalidatedCache
from cases.config.tables import CustomField
from cases.search import reads_listing as listing
from cases.search.reads_filters import Scope
from cases.search.tables import SavedSearch
from cases.settings import CasesSettings
from contracts.errors import AgentRequired, NotFound
from contracts.search import Count, SavedSearchList, SavedSearchRead, SearchFilters


def agent_id_of(scope: Scope) -> int:
    if scope.agent_id is None:
        raise AgentRequired(message="saved searches belong to agents; use an API key linked to an agent")
    return scope.agent_id


def saved_read(row: SavedSearch, count: Count | None = None) -> SavedSearchRead:
    return SavedSearchRead(
        id=row.id,
        name=row.name,
        shared=row.shared,
        shared_group_id=row.shared_group_id,
        owner_agent_id=row.owner_agent_id,
        filters=row.filters,
        created_at=row.created_at,
        updated_at=row.updated_at,
        count=count.count if count else None,
        capped=count.capped if count else None,
    )


def _not_found(search_id: int) -> NotFound:
    return NotFound(message=f"saved search {search_id} not found", details={"saved_search_id": search_id})


def visible(scope: Scope, owner_agent_id: int, shared: bool, shared_group_id: int | None) -> bool:
    """Whose a saved search is: its owner's, every agent's when shared, a group's members' when shared with it."""
    return shared or owner_agent_id == agent_id_of(scope) or shared_group_id in scope.group_ids


def get_saved(session: Session, search_id: int, scope: Scope) -> SavedSearch:
    row = session.get(SavedSearch, search_id)
    if row is None or not visible(scope, row.owner_agent_id, row.shared, row.shared_group_id):
        # someone else's personal search looks the same as a missing one
        raise _not_found(search_id)
    return row


# -- the searches a folder count or page reads, kept per process (decision 0164) -------------------------------

TTL_SECONDS = CasesSettings().config_cache_seconds


MAX_ENTRIES = 4096


COUNTS_PER_SEARCH = 64  # count statements kept per search (one per viewer scope), then emptied


# a custom field deleted here makes a search that filters by it fail at once, as it did before the cache
KEPT_MODELS: tuple[type[Any], ...] = (SavedSearch, CustomField)

_cache = WriteInvalidatedCache("saved_searches", KEPT_MODELS, ttl_seconds=TTL_SECONDS, max_entries=MAX_ENTRIES)


_ROW = select(SavedSearch.owner_agent_id, SavedSearch.shared, SavedSearch.filters, SavedSearch.shared_group_id).where(
    SavedSearch.id == bindparam("search_id")
)


@dataclass(frozen=True, eq=False)
class _Kept:
    """What a count or page needs of a saved search, and its count statements per viewer scope."""

    id: int
    owner_agent_id: int
    shared: bool
    filters: SearchFilters
    shared_group_id: int | None
    counts: dict[Scope, Select[Any]] = field(default_factory=dict)


def _kept(session: Session, search_id: int, scope: Scope) -> _Kept:
    """The saved search `search_id` as the caller may use it (one Core statement, or none while kept)."""
    agent_id_of(scope)  # an API key without an agent is told so before anything is read

    def load(s: Session) -> _Kept:
        row = s.connection().execute(_ROW, {"search_id": search_id}).first()
        if row is None:  # never kept: a search created by another worker a moment later is found at once
            raise _not_found(search_id)
        return _Kept(search_id, row[0], bool(row[1]), SearchFilters.model_validate(row[2]), row[3])

    _cache.ttl_seconds, _cache.max_entries = TTL_SECONDS, MAX_ENTRIES  # the module's knobs win (tests set them)
    kept = _cache.cached(session, search_id, load)
    if not visible(scope, kept.owner_agent_id, kept.shared, kept.shared_group_id):
        raise _not_found(search_id)  # someone else's personal search looks the same as a missing one
    return kept


def clear() -> None:
    """Forget the kept saved searches (tests)."""
    _cache.clear()


def get(session: Session, scope: Scope, search_id: int) -> SavedSearchRead:
    return saved_read(get_saved(session, search_id, scope))


def _filters(row: SavedSearch) -> SearchFilters:
    return SearchFilters.model_validate(row.filters)


def _where(session: Session, row: SavedSearch, scope: Scope) -> list[Any]:
    return listing.filter_conditions(session, _filters(row), scope)


def count(session: Session, scope: Scope, search_id: int) -> Count:
    """The folder's capped count: one statement while the search is kept (built once per search and scope)."""
    kept = _kept(session, search_id, scope)
    query = kept.counts.get(scope)
    if query is None:
        query = listing.capped_count_statement(listing.filter_conditions(session, kept.filters, scope))
        if len(kept.counts) >= COUNTS_PER_SEARCH:
            kept.counts.clear()
        kept.counts[scope] = query
    return listing.capped_count_from(session, query)


def cases(session: Session, scope: Scope, search_id: int, cursor: str | None, limit: int) -> CaseRows:
    kept = _kept(session, search_id, scope)
    where = listing.filter_conditions(session, kept.filters, scope)
    return listing.page(session, where, kept.filters.sort, cursor, limit)


def list_for(session: Session, scope: Scope, with_counts: bool) -> SavedSearchList:
    """The caller's own searches, every shared one and those shared with the caller's groups, by name; with
    counts when used as folders."""
    me = agent_id_of(scope)
    whose = [SavedSearch.owner_agent_id == me, SavedSearch.shared.is_(True)]
    if scope.group_ids:
        whose.append(SavedSearch.shared_group_id.in_(sorted(scope.group_ids)))
    rows = session.scalars(select(SavedSearch).where(or_(*whose)).order_by(SavedSearch.name, SavedSearch.id))
    rows_ = list(rows)
    if not with_counts or not rows_:
        return SavedSearchList(items=[saved_read(r) for r in rows_])
    cap = listing.COUNT_CAP
    # every folder's count in one statement (one round trip), each bounded by the cap
    found = session.execute(
        select(*[listing.capped_count_query(_where(session, r, scope), cap).label(f"s{r.id}") for r in rows_])
    ).one()
    items = [
        saved_read(r, Count(count=min(int(n), cap), capped=int(n) > cap, cap=cap))
        for r, n in zip(rows_, found, strict=True)
    ]
    return SavedSearchList(items=items)
