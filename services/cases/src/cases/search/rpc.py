"""The nameko entrypoints of search: global search, inbox views and saved searches."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from cases.common.rpc import PageLimit, RpcBase, parse_as
from cases.search import reads as search_reads
from cases.search import writes as search_writes
from chassis.typed_rpc import typed_rpc
from contracts.bounds import LaxId
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


class SearchRpc(RpcBase):
    @typed_rpc
    def search_cases(
        self,
        *,
        viewer: Viewer,
        q: Annotated[str, Field(max_length=200)],
        cursor: str | None = None,
        limit: PageLimit = 25,
    ) -> SearchPage:
        with self._session() as session:
            return search_reads.search_cases(session=session, viewer=viewer, q=q, cursor=cursor, limit=limit)

    @typed_rpc
    def list_views(self, *, viewer: Viewer) -> ViewList:
        with self._read_session() as session:
            return search_reads.list_views(session=session, viewer=viewer)

    @typed_rpc
    def view_cases(self, *, viewer: Viewer, key: str, cursor: str | None = None, limit: PageLimit = 25) -> Any:
        with self._read_session() as session:
            return search_reads.view_cases(session=session, viewer=viewer, key=key, cursor=cursor, limit=limit)

    @typed_rpc
    def list_saved_searches(self, *, viewer: Viewer, counts: bool = False) -> SavedSearchList:
        with self._read_session() as session:
            return search_reads.list_saved_searches(session=session, viewer=viewer, counts=counts)

    @typed_rpc
    def get_saved_search(self, *, viewer: Viewer, search_id: Any) -> SavedSearchRead:
        with self._read_session() as session:
            return search_reads.get_saved_search(
                session=session, viewer=viewer, search_id=parse_as(LaxId, search_id, "id")
            )

    @typed_rpc
    def saved_search_cases(
        self, *, viewer: Viewer, search_id: Any, cursor: str | None = None, limit: PageLimit = 25
    ) -> Any:
        with self._read_session() as session:
            return search_reads.saved_search_cases(
                session=session, viewer=viewer, search_id=parse_as(LaxId, search_id, "id"), cursor=cursor, limit=limit
            )

    @typed_rpc
    def saved_search_count(self, *, viewer: Viewer, search_id: Any) -> Count:
        with self._read_session() as session:
            return search_reads.saved_search_count(
                session=session, viewer=viewer, search_id=parse_as(LaxId, search_id, "id")
            )

    @typed_rpc
    def create_saved_search(self, *, viewer: Viewer, data: SavedSearchWrite) -> SavedSearchRead:
        return search_writes.create_saved_search(runtime=self.runtime, viewer=viewer, data=data)

    @typed_rpc
    def update_saved_search(self, *, viewer: Viewer, search_id: Any, changes: SavedSearchUpdate) -> SavedSearchRead:
        return search_writes.update_saved_search(
            runtime=self.runtime, viewer=viewer, search_id=parse_as(LaxId, search_id, "id"), changes=changes
        )

    @typed_rpc
    def delete_saved_search(self, *, viewer: Viewer, search_id: Any) -> None:
        search_writes.delete_saved_search(
            runtime=self.runtime, viewer=viewer, search_id=parse_as(LaxId, search_id, "id")
        )
