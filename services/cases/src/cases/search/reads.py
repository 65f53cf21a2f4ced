"""Reads of search, views and saved searches for the RPC entrypoints: one session each."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cases.common.case_rows import CaseRows
from cases.search import reads_global as global_search
from cases.search import reads_saved as saved
from cases.search import reads_views as views
from cases.search.reads_filters import load_scope
from contracts.search import Count, SavedSearchList, SavedSearchRead, SearchPage, Viewer, ViewList


def search_cases(*, session: Session, viewer: Viewer, q: str, cursor: str | None, limit: int) -> SearchPage:
    return global_search.search(session, load_scope(session, viewer), q, cursor, limit)


def list_views(*, session: Session, viewer: Viewer) -> ViewList:
    return views.list_views(session, load_scope(session, viewer))


def view_cases(*, session: Session, viewer: Viewer, key: str, cursor: str | None, limit: int) -> CaseRows:
    return views.view_cases(session, key, load_scope(session, viewer), cursor, limit)


def list_saved_searches(*, session: Session, viewer: Viewer, counts: bool) -> SavedSearchList:
    return saved.list_for(session, load_scope(session, viewer), counts)


def get_saved_search(*, session: Session, viewer: Viewer, search_id: int) -> SavedSearchRead:
    return saved.get(session, load_scope(session, viewer), search_id)


def saved_search_cases(*, session: Session, viewer: Viewer, search_id: int, cursor: str | None, limit: int) -> CaseRows:
    return saved.cases(session, load_scope(session, viewer), search_id, cursor, limit)


def saved_search_count(*, session: Session, viewer: Viewer, search_id: int) -> Count:
    return saved.count(session, load_scope(session, viewer), search_id)
