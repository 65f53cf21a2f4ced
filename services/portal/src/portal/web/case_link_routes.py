"""Signed case links (D5): the link in a confirmation opens that case in the portal without a sign-in."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from chassis.logging import get_logger
from contracts.tokens import CaseLinkRefused, read_case_link_token
from portal.web.auth_routes import profile_of
from portal.web.context import PortalContext, get_context
from portal.web.session import open_case_by_link
from portal.web.templating import render

log = get_logger(__name__)
router = APIRouter()

Ctx = Annotated[PortalContext, Depends(get_context)]


@router.get("/c/{token}")
async def open_case_link(request: Request, ctx: Ctx, token: str) -> Response:
    """Check the signature and expiry, then that cases agrees the case is this contact's; open it."""
    try:
        case_id, contact_id = read_case_link_token(token, secret=ctx.settings.secret_key, now=time.time())
    except CaseLinkRefused as refused:
        log.info("case_link_refused", reason=refused.reason)
        return render(request, "case_link_refused.html", {"reason": refused.reason}, status_code=400)
    # ownership is checked by cases (not_found -> 404 page) before any session is opened
    view = await ctx.cases.get_case_for_contact(case_id=case_id, contact_id=contact_id)
    email = view.case.requester.email if view.case.requester and view.case.requester.email else ""
    profile = await profile_of(ctx, contact_id)
    await open_case_by_link(
        request, ctx.sessions, contact_id=contact_id, case_id=case_id, email=email or "", profile=profile
    )
    log.info("case_link_opened", case_id=case_id, contact_id=contact_id)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)
