"""Routes of /api/v1 for search, inbox views and saved searches (C1, C2, C4).

Every list is scoped to the calling agent (the API key's agent): cases of restricted groups only
for their members and admins. Parse, call the cases service, answer; no rules here.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from contracts import cases as c
from contracts import errors
from contracts import search as s
from contracts.bounds import FlagText, LaxId
from gateway.access import ApiPrincipal
from gateway.api.deps import principal, require, writer
from gateway.api.responses import FORBIDDEN
from gateway.context import AppContext, get_context
from gateway.domain import api_keys

PREFIX = "/api/v1"  # as gateway.api.routes (which imports this module, so not imported from there)
_ERROR_EXAMPLE = {"error": {"code": "invalid_filter", "message": "...", "details": {}}}
_ERROR = {"description": "Error", "content": {"application/json": {"example": _ERROR_EXAMPLE}}}
_COMMON: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 422: _ERROR, 503: _ERROR}

router = APIRouter(prefix=PREFIX, tags=["v1: search"], responses=_COMMON, dependencies=[Depends(principal)])

Ctx = Annotated[AppContext, Depends(get_context)]
Reader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_READ))]
Writer = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_WRITE))]
SearchId = Annotated[LaxId, Path(description="The saved search id")]
Cursor = Annotated[str | None, Query(max_length=500, description="`next` of the previous page")]
Limit = Annotated[int, Query(ge=1, le=100)]
_404: dict[int | str, dict[str, Any]] = {404: _ERROR}


async def viewer(who: ApiPrincipal, ctx: AppContext) -> s.Viewer:
    """The agent the key acts as (resolved once, then linked on the key) and whether the key is admin."""
    agent_id = who.agent_id
    if agent_id is None and who.agent_email:
        actor = await writer(who, ctx)
        agent_id = actor.id if actor.type is c.AuthorType.AGENT else None
    return s.Viewer(agent_id=agent_id, is_admin=who.is_admin)


def _custom_fields(values: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        key, sep, wanted = value.partition(":")
        if not sep or not key.strip():
            raise errors.InvalidFilter(
                message="custom_field takes key:value", details={"field": "custom_field", "value": value}
            )
        found[key.strip()] = wanted
    return found


def case_filters(
    status: Annotated[list[c.Status], Query(description="Status category; repeat for any of several")] = [],  # noqa: B006
    priority: Annotated[list[c.Priority], Query()] = [],  # noqa: B006
    source: Annotated[list[c.SourceKey], Query()] = [],  # noqa: B006
    group: Annotated[list[LaxId], Query(max_length=100, description="Group id; repeat for any of several")] = [],  # noqa: B006
    assignee: Annotated[LaxId | None, Query(description="Assignee agent id")] = None,
    unassigned: Annotated[FlagText | None, Query(description="true: nobody assigned; false: someone is")] = None,
    requester: Annotated[LaxId | None, Query(description="Requester contact id")] = None,
    organisation: Annotated[LaxId | None, Query(description="Organisation id")] = None,
    type: Annotated[LaxId | None, Query(description="Case type id")] = None,  # noqa: A002
    category: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[list[str], Query(description="The case has every tag given")] = [],  # noqa: B006
    custom_field: Annotated[list[str], Query(description="key:value, exact match; repeat for several")] = [],  # noqa: B006
    sla_state: Annotated[list[str], Query(description="none|ok|warning|breached|paused|met")] = [],  # noqa: B006
    created_from: datetime | None = None,
    created_to: Annotated[datetime | None, Query(description="exclusive")] = None,
    updated_from: datetime | None = None,
    updated_to: Annotated[datetime | None, Query(description="exclusive")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Full-text: every word, as a prefix")] = None,
    sort: Annotated[c.CaseSort, Query(description="created|updated|priority|number, `-` for descending")] = (
        c.CaseSort.CREATED_DESC
    ),
    cursor: Cursor = None,
    limit: Limit = 25,
) -> c.CaseFilter:
    """The advanced filters of GET /cases as query parameters (docs/search.md)."""
    try:
        return c.CaseFilter(
            statuses=status,
            priorities=priority,
            sources=source,
            group_ids=group,
            assignee_id=assignee,
            unassigned=unassigned,
            requester_id=requester,
            organisation_id=organisation,
            type_id=type,
            category=category,
            tags=tag,
            custom_fields=_custom_fields(custom_field),
            sla_states=sla_state,
            created_from=created_from,
            created_to=created_to,
            updated_from=updated_from,
            updated_to=updated_to,
            q=q,
            sort=sort,
            cursor=cursor,
            limit=limit,
        )
    except ValidationError as exc:
        # a bound of the filter model (a value too long for it): the same 422 as a bad query parameter
        raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]) from None


CaseFilters = Annotated[c.CaseFilter, Depends(case_filters)]
_NOT_FILTERS = {"cursor", "limit"}


def export_filters(**params: Any) -> c.CaseFilter:
    """The filters of GET /cases without its paging: an export takes every page (gateway.case_export)."""
    return case_filters(**params)


# FastAPI reads a dependency's parameters from its signature: case_filters' own, less cursor and limit, so
# the two lists never drift apart
export_filters.__signature__ = inspect.signature(case_filters).replace(  # type: ignore[attr-defined]
    parameters=[p for p in inspect.signature(case_filters).parameters.values() if p.name not in _NOT_FILTERS]
)
ExportFilters = Annotated[c.CaseFilter, Depends(export_filters)]


async def list_cases(ctx: AppContext, who: ApiPrincipal, filters: c.CaseFilter) -> c.CasePage:
    """`cases.list_cases` scoped to the caller (used by GET /cases and GET /contacts/{id}/cases)."""
    return await ctx.cases.list_cases(filters=filters, viewer=await viewer(who, ctx))


def as_received(body: bytes) -> Response:
    """A hot read's reply as the response body, as it came from the cases service.

    The cases service built it from the same contract model, so validating it here and again for the
    route's `response_model` (kept: it documents the body in the OpenAPI schema) only cost CPU on the
    hottest reads. Errors still arrive as DomainError and map to their HTTP status as everywhere.
    The bytes are not decoded and encoded again here (decision 0136)."""
    return Response(body, media_type="application/json")


# The hottest reads come first: FastAPI tries a router's routes in the order they are defined, twice per
# request (decisions 0159, 0165)
@router.get("/views/{key}/cases", response_model=c.CasePage, responses=_404)
async def view_cases(
    ctx: Ctx,
    who: Reader,
    key: Annotated[str, Path(max_length=50, description="A key from GET /views")],
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Response:
    """The cases of one view, most recently updated first."""
    return as_received(
        await ctx.cases.view_cases.json(viewer=await viewer(who, ctx), key=key, cursor=cursor, limit=limit)
    )


@router.get("/search", response_model=s.SearchPage)
async def search(
    ctx: Ctx,
    who: Reader,
    q: Annotated[str, Query(min_length=1, max_length=200, description="Words, matched as prefixes")],
    cursor: Cursor = None,
    limit: Limit = 25,
) -> Response:
    """Global search over titles, descriptions, messages, contacts, organisations and attachment names:
    best first, each hit with the case, its rank and a snippet (HTML, matches in `<mark>`)."""
    return as_received(
        await ctx.cases.search_cases.json(viewer=await viewer(who, ctx), q=q, cursor=cursor, limit=limit)
    )


@router.get("/saved-searches/{search_id}/count", response_model=s.Count, responses=_404)
async def saved_search_count(search_id: SearchId, ctx: Ctx, who: Reader) -> Response:
    """How many cases the search finds for the caller (exact up to `cap`)."""
    return as_received(await ctx.cases.saved_search_count.json(viewer=await viewer(who, ctx), search_id=search_id))


@router.get("/views", response_model=s.ViewList)
async def list_views(ctx: Ctx, who: Reader) -> s.ViewList:
    """The caller's inbox views and folders with their counts (exact up to `cap`, then `capped`)."""
    return await ctx.cases.list_views(viewer=await viewer(who, ctx))


@router.get("/saved-searches", response_model=s.SavedSearchList)
async def list_saved_searches(
    ctx: Ctx,
    who: Reader,
    counts: Annotated[FlagText, Query(description="Add each search's count (folders)")] = False,
) -> s.SavedSearchList:
    """The caller's own saved searches and every shared one."""
    return await ctx.cases.list_saved_searches(viewer=await viewer(who, ctx), counts=counts)


@router.post("/saved-searches", status_code=201, response_model=s.SavedSearchRead)
async def create_saved_search(data: s.SavedSearchWrite, ctx: Ctx, who: Writer, response: Response) -> s.SavedSearchRead:
    """Save a filter set (the fields of GET /cases' filters, as JSON), personal or `shared`."""
    result: s.SavedSearchRead = await ctx.cases.create_saved_search(viewer=await viewer(who, ctx), data=data)
    response.headers["Location"] = f"{PREFIX}/saved-searches/{result.id}"
    return result


@router.get("/saved-searches/{search_id}", response_model=s.SavedSearchRead, responses=_404)
async def get_saved_search(search_id: SearchId, ctx: Ctx, who: Reader) -> s.SavedSearchRead:
    return await ctx.cases.get_saved_search(viewer=await viewer(who, ctx), search_id=search_id)


@router.patch("/saved-searches/{search_id}", response_model=s.SavedSearchRead, responses=_404)
async def update_saved_search(
    search_id: SearchId, changes: s.SavedSearchUpdate, ctx: Ctx, who: Writer
) -> s.SavedSearchRead:
    """Rename, share or refilter; only the owner (or an admin) may."""
    return await ctx.cases.update_saved_search(
        viewer=await viewer(who, ctx),
        search_id=search_id,
        changes=changes,
    )


@router.delete("/saved-searches/{search_id}", status_code=204, responses=_404)
async def delete_saved_search(search_id: SearchId, ctx: Ctx, who: Writer) -> Response:
    await ctx.cases.delete_saved_search(viewer=await viewer(who, ctx), search_id=search_id)
    return Response(status_code=204)


@router.get("/saved-searches/{search_id}/cases", response_model=c.CasePage, responses=_404)
async def saved_search_cases(
    search_id: SearchId, ctx: Ctx, who: Reader, cursor: Cursor = None, limit: Limit = 25
) -> c.CasePage:
    """The cases of a saved search as the caller may see them, in the search's sort."""
    return await ctx.cases.saved_search_cases(
        viewer=await viewer(who, ctx),
        search_id=search_id,
        cursor=cursor,
        limit=limit,
    )
