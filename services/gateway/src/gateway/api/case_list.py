"""Routes of /api/v1 over the case list as a whole: export (C8) and bulk changes (C3).

Included before `gateway.api.routes`, whose `GET /cases/{case_id}` would otherwise take `/cases/export`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import StreamingResponse

from gateway import case_bulk, case_export
from gateway.access import ApiPrincipal
from gateway.api import search as search_api
from gateway.api.deps import principal, require, writer
from gateway.api.responses import COMMON, ERROR, ErrorBody
from gateway.context import AppContext, get_context
from gateway.domain import api_keys
from gateway.domain.case_bulk import MAX_CASES, BulkAnswer, BulkRequest
from gateway.domain.case_export import MEDIA_TYPES, ExportFormat

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX, tags=["v1: case list"], responses=COMMON, dependencies=[Depends(principal)])

Ctx = Annotated[AppContext, Depends(get_context)]
Reader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_READ))]
Writer = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_WRITE))]

_EXPORT_422 = {
    "description": "A bad `format` or filter (`validation_error`, `invalid_filter`)",
    "model": ErrorBody,
}
_EXPORTED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment: CSV (UTF-8 with a byte-order mark, RFC 4180) or xlsx",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()},
    },
    422: _EXPORT_422,
}
_BULK_422 = {
    "description": f"More than {MAX_CASES} cases (`too_many_cases`) or an invalid body (`validation_error`)",
    "model": ErrorBody,
    "content": {
        "application/json": {
            "example": {
                "error": {
                    "code": "too_many_cases",
                    "message": f"a bulk change takes at most {MAX_CASES} cases; 501 were named",
                    "details": {"max": MAX_CASES, "given": 501},
                }
            }
        }
    },
}


@router.get("/cases/export", response_class=StreamingResponse, responses=_EXPORTED)
async def export_cases(
    ctx: Ctx,
    who: Reader,
    filters: search_api.ExportFilters,
    format: Annotated[ExportFormat, Query(description="csv or xlsx")] = ExportFormat.CSV,  # noqa: A002
) -> StreamingResponse:
    """Every case matching the filters of GET /cases (the same parameters, without paging) that the caller may
    see, in the `sort` asked for, as one file: number, title, status, priority, requester, organisation,
    assignee, group, type, category, tags, created, updated, due and SLA state (times in UTC). The rows are
    streamed, so an export of 100,000 cases holds none of them all in memory. A light agent's export holds
    only their groups' cases, as their list does."""
    viewer = await search_api.viewer(who, ctx)
    return await case_export.export(ctx, filters=filters, viewer=viewer, fmt=format)


@router.post("/cases/bulk", response_model=BulkAnswer, responses={422: _BULK_422, 404: ERROR})
async def bulk_change(data: BulkRequest, ctx: Ctx, who: Writer) -> BulkAnswer:
    """Change up to 500 cases at once: assign, set group, status or priority, add or remove tags, close, or
    merge them into one (`merge_into`). Each case is changed on its own and answers its own result, `ok` with
    its new version or `error` with a code (`not_found` for a case you may not see, `version_conflict` when
    `versions` names an older version, `invalid_transition`, ...); one case's error leaves the others changed.
    A light agent may not make bulk changes (403 `role_forbidden`)."""
    viewer = await search_api.viewer(who, ctx)
    actor = await writer(who, ctx)
    return await case_bulk.apply(ctx, request=data, viewer=viewer, actor=actor)
