"""Routes of /api/v1 about what customers receive by email (E3; admins only): the workspace's customer mail
settings and each customer organisation's overrides (null fields inherit the workspace's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from contracts import errors
from contracts.bounds import LaxId
from contracts.notifications import CustomerMailSettingsRead, CustomerMailSettingsWrite
from gateway.api.deliveries import Admin, Ctx
from gateway.api.deps import principal
from gateway.api.responses import FORBIDDEN

_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "forbidden"}}}}}
_COMMON: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 422: _ERROR, 503: _ERROR}

router = APIRouter(prefix="/api/v1", tags=["customer mail"], responses=_COMMON, dependencies=[Depends(principal)])

OrganisationId = Annotated[LaxId, Path(description="A customer organisation's id")]


async def _require_organisation(ctx: Any, organisation_id: int) -> None:
    """cases owns the organisations: settings for one that does not exist are a 404, not a silent row."""
    known = await ctx.cases.list_organisations()
    if not any(o.id == organisation_id for o in known):
        raise errors.NotFound(
            message=f"organisation {organisation_id} not found", details={"organisation_id": organisation_id}
        )


@router.get("/settings/customer-mail", response_model=CustomerMailSettingsRead)
async def get_workspace_customer_mail(ctx: Ctx, _who: Admin) -> CustomerMailSettingsRead:
    """The workspace default: never / link only / full conversation, sender, closing greeting, followers in CC."""
    found = await ctx.rpc.call("notifications", "get_customer_mail_settings", organisation_id=None)
    return CustomerMailSettingsRead.model_validate(found)


@router.put("/settings/customer-mail", response_model=CustomerMailSettingsRead)
async def put_workspace_customer_mail(
    data: CustomerMailSettingsWrite, ctx: Ctx, _who: Admin
) -> CustomerMailSettingsRead:
    """Replace the workspace default; a null field falls back to the service's configuration."""
    saved = await ctx.rpc.call(
        "notifications",
        "set_customer_mail_settings",
        organisation_id=None,
        data=data.model_dump(mode="json"),
    )
    return CustomerMailSettingsRead.model_validate(saved)


@router.get(
    "/organisations/{organisation_id}/customer-mail", response_model=CustomerMailSettingsRead, responses={404: _ERROR}
)
async def get_organisation_customer_mail(
    organisation_id: OrganisationId, ctx: Ctx, _who: Admin
) -> CustomerMailSettingsRead:
    """What one customer organisation overrides (`stored`) and what applies to its cases (`effective`)."""
    await _require_organisation(ctx, organisation_id)
    found = await ctx.rpc.call("notifications", "get_customer_mail_settings", organisation_id=organisation_id)
    return CustomerMailSettingsRead.model_validate(found)


@router.put(
    "/organisations/{organisation_id}/customer-mail", response_model=CustomerMailSettingsRead, responses={404: _ERROR}
)
async def put_organisation_customer_mail(
    organisation_id: OrganisationId, data: CustomerMailSettingsWrite, ctx: Ctx, _who: Admin
) -> CustomerMailSettingsRead:
    """Replace one organisation's overrides; null fields inherit the workspace default."""
    await _require_organisation(ctx, organisation_id)
    saved = await ctx.rpc.call(
        "notifications",
        "set_customer_mail_settings",
        organisation_id=organisation_id,
        data=data.model_dump(mode="json"),
    )
    return CustomerMailSettingsRead.model_validate(saved)
