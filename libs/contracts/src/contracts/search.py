"""Contracts of search, inbox views and saved searches (C1, C2, C4): RPC payloads of `cases`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.bounds import Flag, Id
from contracts.cases import CaseFilter, CaseRead


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Viewer(_Model):
    """Who is looking: restricted groups' cases are shown only to their members and admins.

    `agent_id` None is an API client without an agent: it sees no restricted group (unless admin)
    and has no personal views.
    """

    agent_id: int | None = None
    is_admin: bool = False


class SearchFilters(CaseFilter):
    """The filters a saved search keeps: a CaseFilter without paging."""

    model_config = ConfigDict(extra="forbid")

    def page(self, cursor: str | None, limit: int) -> CaseFilter:
        data = self.model_dump(exclude={"cursor", "limit"})
        return CaseFilter(**data, cursor=cursor, limit=limit)


class Count(_Model):
    """A count that is exact up to `cap`; `capped` says there are at least `cap` (shown as "1000+")."""

    count: int
    capped: bool = False
    cap: int


class ViewRead(_Model):
    key: str
    name: str
    count: int
    capped: bool = False


class ViewList(_Model):
    items: list[ViewRead]
    cap: int


class SearchHit(_Model):
    case: CaseRead
    rank: float
    # HTML: the text is escaped, matches are wrapped in <mark>...</mark>
    snippet: str = ""
    # where the best match was: title, description, message, contact, organisation, attachment
    matched_in: list[str] = []
    message_id: int | None = None


class SearchPage(_Model):
    items: list[SearchHit]
    next: str | None = None


class SavedSearchWrite(_Model):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    shared: Flag = Field(default=False, description="Shared with every agent (read-only to all but its owner)")
    shared_group_id: Id | None = Field(
        default=None, description="Shared with the members of this group only (read-only to them); not with `shared`"
    )
    filters: SearchFilters = SearchFilters()


class SavedSearchUpdate(_Model):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    shared: Flag | None = None
    shared_group_id: Id | None = Field(default=None, description="A group to share with; null: with no group")
    filters: SearchFilters | None = None


class SavedSearchRead(_Model):
    id: int
    name: str
    shared: bool
    shared_group_id: int | None = None
    owner_agent_id: int
    filters: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    # filled when a folder list asks for counts
    count: int | None = None
    capped: bool | None = None


class SavedSearchList(_Model):
    items: list[SavedSearchRead]
