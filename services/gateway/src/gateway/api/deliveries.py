"""Routes of /api/v1 about outbound messages: the delivery log and the suppression list (E4, E5; admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, TypeAdapter

from contracts.bounds import LaxId
from contracts.notifications import DeliveryRead, SuppressionRead
from gateway import admin_objects as objects
from gateway.access import ApiPrincipal
from gateway.api import versioned as v
from gateway.api.changes import AdminChange
from gateway.api.deps import admin, principal
from gateway.api.responses import FORBIDDEN
from gateway.context import AppContext, get_context

_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "forbidden"}}}}}
_COMMON: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 422: _ERROR, 503: _ERROR}

router = APIRouter(prefix="/api/v1", tags=["deliveries"], responses=_COMMON, dependencies=[Depends(principal)])

_deliveries = TypeAdapter(list[DeliveryRead])
_suppressions = TypeAdapter(list[SuppressionRead])


Ctx = Annotated[AppContext, Depends(get_context)]
Admin = Annotated[ApiPrincipal, Depends(admin)]


class DeliveryList(BaseModel):
    items: list[DeliveryRead]


class SuppressionList(BaseModel):
    items: list[v.SuppressionItem]


@router.get("/deliveries", response_model=DeliveryList)
async def list_deliveries(
    ctx: Ctx,
    _who: Admin,
    case: Annotated[LaxId | None, Query(description="Only messages about this case id")] = None,
    recipient: Annotated[str | None, Query(max_length=320, description="Only messages to this address")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeliveryList:
    """The delivery log, newest first: queued, sent, failed (with the reason), bounced, suppressed, dead."""
    rows = await ctx.rpc.call("notifications", "list_deliveries", case_id=case, recipient=recipient, limit=limit)
    return DeliveryList(items=_deliveries.validate_python(rows))


@router.get("/suppressions", response_model=SuppressionList)
async def list_suppressions(
    ctx: Ctx,
    _who: Admin,
    address: Annotated[str | None, Query(max_length=320, description="Only this address")] = None,
) -> SuppressionList:
    """Addresses that bounced hard: no mail goes to them until cleared."""
    rows = await ctx.rpc.call("notifications", "list_suppressions", address=address)
    return SuppressionList.model_validate({"items": v.with_versions(_suppressions.validate_python(rows))})


@router.delete("/suppressions/{address}", response_model=SuppressionRead, responses={404: _ERROR, 409: _ERROR})
async def clear_suppression(
    change: AdminChange, address: Annotated[str, Path(max_length=320, description="The suppressed address")]
) -> SuppressionRead:
    """Let mail go to an address again (e.g. after the customer fixed their mailbox)."""
    ctx = change.ctx

    async def apply() -> SuppressionRead:
        cleared = await ctx.rpc.call("notifications", "clear_suppression", address=address)
        return SuppressionRead.model_validate(cleared)

    return await change(
        "suppression",
        address.strip().lower(),
        "clear",
        load_before=lambda: objects.suppression(ctx, address),
        apply=apply,
    )
