"""Routes of /api/v1 about what customers receive by email (E3; admins only): the workspace's customer mail
settings and each customer organisation's overrides (null fields inherit the workspace's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from contracts.bounds import LaxId
from contracts.notifications import CustomerMailSettingsRead, CustomerMailSettingsWrite
from gateway import admin_objects as objects
from gateway.api.changes import AdminChange, versioned
from gateway.api.deliveries import Admin, Ctx
from gateway.api.deps import principal
from gateway.api.responses import FORBIDDEN
from gateway.context import AppContext

_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "forbidden"}}}}}
_COMMON: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 422: _ERROR, 503: _ERROR}

router = APIRouter(prefix="/api/v1", tags=["customer mail"], responses=_COMMON, dependencies=[Depends(principal)])

OrganisationId = Annotated[LaxId, Path(description="A customer organisation's id")]


@router.get("/settings/customer-mail", response_model=CustomerMailSettingsRead)
async def get_workspace_customer_mail(ctx: Ctx, _who: Admin) -> Response:
    """The workspace default: never / link only / full conversation, sender, closing greeting, followers in CC.
    Its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.customer_mail(ctx, None))


async def _set(
    ctx: AppContext, organisation_id: int | None, data: CustomerMailSettingsWrite
) -> CustomerMailSettingsRead:
    saved = await ctx.rpc.call(
        "notifications",
        "set_customer_mail_settings",
        organisation_id=organisation_id,
        data=data.model_dump(mode="json"),
    )
    return CustomerMailSettingsRead.model_validate(saved)


@router.put("/settings/customer-mail", response_model=CustomerMailSettingsRead, responses={409: _ERROR})
async def put_workspace_customer_mail(data: CustomerMailSettingsWrite, change: AdminChange) -> Response:
    """Replace the workspace default; a null field falls back to the service's configuration."""
    ctx = change.ctx
    saved = await change(
        "customer_mail_settings",
        None,
        "update",
        load_before=lambda: objects.customer_mail(ctx, None),
        apply=lambda: _set(ctx, None, data),
    )
    return versioned(saved)


@router.get(
    "/organisations/{organisation_id}/customer-mail", response_model=CustomerMailSettingsRead, responses={404: _ERROR}
)
async def get_organisation_customer_mail(organisation_id: OrganisationId, ctx: Ctx, _who: Admin) -> Response:
    """What one customer organisation overrides (`stored`) and what applies to its cases (`effective`); its
    `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.customer_mail(ctx, organisation_id))


@router.put(
    "/organisations/{organisation_id}/customer-mail",
    response_model=CustomerMailSettingsRead,
    responses={404: _ERROR, 409: _ERROR},
)
async def put_organisation_customer_mail(
    organisation_id: OrganisationId, data: CustomerMailSettingsWrite, change: AdminChange
) -> Response:
    """Replace one organisation's overrides; null fields inherit the workspace default."""
    ctx = change.ctx
    saved = await change(
        "customer_mail_settings",
        organisation_id,
        "update",
        load_before=lambda: objects.customer_mail(ctx, organisation_id),
        apply=lambda: _set(ctx, organisation_id, data),
    )
    return versioned(saved)
