"""Route of /api/v1 that reads the admin audit log (decision 0198): admins only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from contracts.bounds import LaxId
from gateway import audit_log
from gateway.access import ApiPrincipal
from gateway.api.changes import ensure_admin
from gateway.api.deps import principal
from gateway.api.responses import COMMON
from gateway.audit_log import AuditEntryRead
from gateway.context import AppContext, get_context

router = APIRouter(prefix="/api/v1", tags=["v1: audit"], responses=COMMON)


class AuditList(BaseModel):
    items: list[AuditEntryRead]
    next: str | None = Field(default=None, description="Send as `cursor` for the next (older) page; null: no more")


async def _admin(who: Annotated[ApiPrincipal, Depends(principal)]) -> ApiPrincipal:
    return ensure_admin(who)


def _utc(moment: datetime | None) -> datetime | None:
    """A moment without a time zone is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@router.get("/audit", response_model=AuditList)
async def list_audit(
    ctx: Annotated[AppContext, Depends(get_context)],
    _who: Annotated[ApiPrincipal, Depends(_admin)],
    actor: Annotated[LaxId | None, Query(description="Only changes made by this agent id")] = None,
    object_type: Annotated[
        str | None, Query(max_length=50, pattern=r"^[a-z_]+$", description="e.g. `mailbox`, `api_key`")
    ] = None,
    object_id: Annotated[str | None, Query(min_length=1, max_length=320, description="With object_type")] = None,
    since: Annotated[datetime | None, Query(description="Changes at or after this moment (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="Changes before this moment (exclusive)")] = None,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[1-9][0-9]{0,17}$", description="`next`")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditList:
    """Admin changes, newest first, a page at a time (follow `next` until it is null): who, what, the object
    before and after (secrets such as API keys and passwords are never kept), when, and how it ended."""
    query = audit_log.AuditQuery(
        agent_id=actor,
        object_type=object_type,
        object_id=object_id,
        since=_utc(since),
        until=_utc(until),
        before_id=int(cursor) if cursor is not None else None,
        limit=limit,
    )
    items, older = await run_in_threadpool(audit_log.page, factory=ctx.db, query=query)
    return AuditList(items=items, next=str(older) if older is not None else None)
