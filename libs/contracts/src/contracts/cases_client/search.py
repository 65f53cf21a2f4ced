"""Cases RPCs of search, inbox views and saved searches: every one scoped to the viewing agent."""

# The stubs have no body: a call goes through the `rpc` descriptor to the service.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from contracts.cases import CasePage
from contracts.rpc import rpc, rpc_json
from contracts.search import (
    Count,
    SavedSearchList,
    SavedSearchRead,
    SavedSearchUpdate,
    SavedSearchWrite,
    SearchPage,
    Viewer,
    ViewList,
)


class SearchRpc:
    @rpc_json
    def search_cases(self, *, viewer: Viewer, q: str, cursor: str | None = None, limit: int = 25) -> SearchPage: ...

    @rpc_json
    def list_views(self, *, viewer: Viewer) -> ViewList: ...

    @rpc_json
    def view_cases(self, *, viewer: Viewer, key: str, cursor: str | None = None, limit: int = 25) -> CasePage: ...

    @rpc
    def list_saved_searches(self, *, viewer: Viewer, counts: bool = False) -> SavedSearchList: ...

    @rpc
    def get_saved_search(self, *, viewer: Viewer, search_id: int) -> SavedSearchRead: ...

    @rpc_json
    def saved_search_cases(
        self, *, viewer: Viewer, search_id: int, cursor: str | None = None, limit: int = 25
    ) -> CasePage: ...

    @rpc_json
    def saved_search_count(self, *, viewer: Viewer, search_id: int) -> Count: ...

    @rpc
    def create_saved_search(self, *, viewer: Viewer, data: SavedSearchWrite) -> SavedSearchRead: ...

    @rpc
    def update_saved_search(self, *, viewer: Viewer, search_id: int, changes: SavedSearchUpdate) -> SavedSearchRead: ...

    @rpc
    def delete_saved_search(self, *, viewer: Viewer, search_id: int) -> None: ...
