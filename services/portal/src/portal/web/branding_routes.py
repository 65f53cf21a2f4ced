"""The branding's stylesheet and logo (D1): generated from what cases stores, same origin, so the CSP's
`default-src 'self'` covers them and no page needs an inline style (decision 0253)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from contracts.bounds import LaxId
from portal.web.context import PortalContext, get_context
from portal.web.session import current_contact

router = APIRouter()

Ctx = Annotated[PortalContext, Depends(get_context)]
# the address carries the version: a changed branding has a new address, so an old copy may be kept a day;
# private: an organisation's is answered per session
_CACHE = "private, max-age=86400"


def _own(request: Request, asked: int | None) -> int | None:
    """Only the signed-in contact's organisation's branding, else the default: an organisation's name and logo
    are not for anyone who guesses its id."""
    contact = current_contact(request)
    return asked if contact is not None and asked is not None and asked == contact.organisation_id else None


@router.get("/branding.css")
async def branding_css(request: Request, ctx: Ctx, o: Annotated[LaxId | None, Query()] = None) -> Response:
    branding = await ctx.branding.get(_own(request, o))
    return Response(branding.css, media_type="text/css", headers={"Cache-Control": _CACHE})


@router.get("/branding/logo")
async def branding_logo(request: Request, ctx: Ctx, o: Annotated[LaxId | None, Query()] = None) -> Response:
    branding = await ctx.branding.get(_own(request, o))
    if branding.logo is None or branding.logo_type is None:
        return Response(status_code=404)
    headers = {"Cache-Control": _CACHE, "Content-Disposition": "inline"}
    return Response(branding.logo, media_type=branding.logo_type, headers=headers)
