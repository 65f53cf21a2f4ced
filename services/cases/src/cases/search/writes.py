"""Commands on saved searches for the RPC entrypoints: one transaction each."""

from __future__ import annotations

from cases.search import writes_saved as saved
from cases.search.reads_filters import load_scope
from chassis.nameko_runtime import Runtime
from contracts.search import SavedSearchRead, SavedSearchUpdate, SavedSearchWrite, Viewer


def create_saved_search(*, runtime: Runtime, viewer: Viewer, data: SavedSearchWrite) -> SavedSearchRead:
    with runtime.transaction() as session:
        return saved.create(session, load_scope(session, viewer), data)


def update_saved_search(
    *, runtime: Runtime, viewer: Viewer, search_id: int, changes: SavedSearchUpdate
) -> SavedSearchRead:
    with runtime.transaction() as session:
        return saved.update(session, load_scope(session, viewer), search_id, changes)


def delete_saved_search(*, runtime: Runtime, viewer: Viewer, search_id: int) -> None:
    with runtime.transaction() as session:
        saved.delete(session, load_scope(session, viewer), search_id)
