"""The branding's stylesheet and logo (D1): generated from what cases stores, same origin, so the CSP's
`default-src 'self'` covers them and no page needs an inline style (decision 0253)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from contracts.bounds import LaxId
from portal.web.context import PortalContext, get_context

router = APIRouter()

Ctx = Annotated[PortalContext, Depends(get_context)]
# the address carries the version: a changed branding has a new address, so an old copy may be kept a day
_CACHE = "public, max-age=86400"


@router.get("/branding.css")
async def branding_css(ctx: Ctx, o: Annotated[LaxId | None, Query()] = None) -> Response:
    branding = await ctx.branding.get(o)
    return Response(branding.css, media_type="text/css", headers={"Cache-Control": _CACHE})


@router.get("/branding/logo")
async def branding_logo(ctx: Ctx, o: Annotated[LaxId | None, Query()] = None) -> Response:
    branding = await ctx.branding.get(o)
    if branding.logo is None or branding.logo_type is None:
        return Response(status_code=404)
    headers = {"Cache-Control": _CACHE, "Content-Disposition": "inline"}
    return Response(branding.logo, media_type=branding.logo_type, headers=headers)
