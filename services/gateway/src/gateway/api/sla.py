"""REST API v1 of the SLA (B13): policies and business calendars (admin), and why a case has
its SLA state (`GET /api/v1/cases/{case_id}/sla`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel

from contracts.bounds import LaxId
from contracts.sla import BusinessCalendarRead, BusinessCalendarWrite, CaseSla, SlaPolicyRead, SlaPolicyWrite
from gateway import admin_objects as objects
from gateway.access import ApiPrincipal
from gateway.api import versioned as v
from gateway.api.changes import CONFLICT, ETAG_HEADER, AdminChange, AdminCreate, versioned
from gateway.api.deps import principal, require
from gateway.api.responses import FORBIDDEN
from gateway.api.search import viewer
from gateway.context import AppContext, get_context
from gateway.domain import api_keys

PREFIX = "/api/v1"
_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "not_found"}}}}}
_COMMON: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 404: _ERROR, 422: _ERROR, 503: _ERROR}

router = APIRouter(prefix=PREFIX, tags=["v1", "sla"], responses=_COMMON, dependencies=[Depends(principal)])

Ctx = Annotated[AppContext, Depends(get_context)]
Reader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_READ))]
Id = Annotated[LaxId, Path()]


class PolicyList(BaseModel):
    items: list[v.SlaPolicyItem]


class CalendarList(BaseModel):
    items: list[v.BusinessCalendarItem]


# -- the SLA of a case -------------------------------------------------------------------------


@router.get("/cases/{case_id}/sla", response_model=CaseSla)
async def case_sla(case_id: Id, ctx: Ctx, who: Reader) -> CaseSla:
    """The case's SLA state, each target with its due and met times, and the periods that counted or paused.

    Like the case itself: a case of a restricted group the caller may not see is not found."""
    scope = await viewer(who, ctx)
    return await ctx.cases.get_case_sla(case_id=case_id, viewer=scope)


# -- policies ----------------------------------------------------------------------------------


@router.get("/sla-policies", response_model=PolicyList)
async def list_policies(ctx: Ctx, _who: Reader) -> PolicyList:
    """SLA policies; the most specific active match applies to a case (group > type > priority)."""
    return PolicyList.model_validate({"items": v.with_versions(await ctx.cases.list_sla_policies())})


@router.get("/sla-policies/{policy_id}", response_model=SlaPolicyRead, responses={200: {"headers": ETAG_HEADER}})
async def get_policy(policy_id: Id, ctx: Ctx, _who: Reader) -> Response:
    """One policy; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.sla_policy(ctx, policy_id))


@router.post("/sla-policies", status_code=201, response_model=SlaPolicyRead)
async def create_policy(data: SlaPolicyWrite, change: AdminCreate) -> Response:
    """Add a policy (admin); the open cases it matches get its targets at once."""
    saved = await change(
        "sla_policy", None, "create", load_before=None, apply=lambda: change.ctx.cases.save_sla_policy(data=data)
    )
    return versioned(saved, 201)


@router.put("/sla-policies/{policy_id}", response_model=SlaPolicyRead, responses=CONFLICT)
async def update_policy(policy_id: Id, data: SlaPolicyWrite, change: AdminChange) -> Response:
    """Replace a policy (admin); due times of the open cases it touches are recomputed."""
    ctx = change.ctx
    saved = await change(
        "sla_policy",
        policy_id,
        "update",
        load_before=lambda: objects.sla_policy(ctx, policy_id),
        apply=lambda: ctx.cases.save_sla_policy(data=data, policy_id=policy_id),
    )
    return versioned(saved)


@router.delete("/sla-policies/{policy_id}", status_code=204, response_class=Response, responses=CONFLICT)
async def delete_policy(policy_id: Id, change: AdminChange) -> Response:
    """Remove a policy (admin); its open cases fall to the next matching policy, or to none."""
    ctx = change.ctx
    await change(
        "sla_policy",
        policy_id,
        "delete",
        load_before=lambda: objects.sla_policy(ctx, policy_id),
        apply=lambda: ctx.cases.delete_sla_policy(policy_id=policy_id),
    )
    return Response(status_code=204)


# -- calendars ---------------------------------------------------------------------------------


@router.get("/business-calendars", response_model=CalendarList)
async def list_calendars(ctx: Ctx, _who: Reader) -> CalendarList:
    """Business-hours calendars: opening hours in a time zone, public holidays of a country/region, closed days."""
    return CalendarList.model_validate({"items": v.with_versions(await ctx.cases.list_business_calendars())})


@router.get(
    "/business-calendars/{calendar_id}", response_model=BusinessCalendarRead, responses={200: {"headers": ETAG_HEADER}}
)
async def get_calendar(calendar_id: Id, ctx: Ctx, _who: Reader) -> Response:
    """One calendar; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.business_calendar(ctx, calendar_id))


@router.post("/business-calendars", status_code=201, response_model=BusinessCalendarRead)
async def create_calendar(data: BusinessCalendarWrite, change: AdminCreate) -> Response:
    """Add a calendar (admin)."""
    saved = await change(
        "business_calendar",
        None,
        "create",
        load_before=None,
        apply=lambda: change.ctx.cases.save_business_calendar(data=data),
    )
    return versioned(saved, 201)


@router.put("/business-calendars/{calendar_id}", response_model=BusinessCalendarRead, responses=CONFLICT)
async def update_calendar(calendar_id: Id, data: BusinessCalendarWrite, change: AdminChange) -> Response:
    """Replace a calendar (admin); due times of open cases under policies using it are recomputed."""
    ctx = change.ctx
    saved = await change(
        "business_calendar",
        calendar_id,
        "update",
        load_before=lambda: objects.business_calendar(ctx, calendar_id),
        apply=lambda: ctx.cases.save_business_calendar(data=data, calendar_id=calendar_id),
    )
    return versioned(saved)


@router.delete("/business-calendars/{calendar_id}", status_code=204, response_class=Response, responses=CONFLICT)
async def delete_calendar(calendar_id: Id, change: AdminChange) -> Response:
    """Remove a calendar no policy uses (admin)."""
    ctx = change.ctx
    await change(
        "business_calendar",
        calendar_id,
        "delete",
        load_before=lambda: objects.business_calendar(ctx, calendar_id),
        apply=lambda: ctx.cases.delete_business_calendar(calendar_id=calendar_id),
    )
    return Response(status_code=204)
