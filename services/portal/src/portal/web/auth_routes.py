"""Sign-in by magic link (D1): ask for the address, mail a link, redeem it once, sign out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from chassis.logging import get_logger
from contracts import errors
from portal import handlers
from portal.domain.forms import FormError, normalize_email
from portal.web.context import PortalContext, get_context
from portal.web.session import check_csrf, current_contact, sign_in, sign_out
from portal.web.templating import render

log = get_logger(__name__)
router = APIRouter()

Ctx = Annotated[PortalContext, Depends(get_context)]


@router.get("/login")
async def login_form(request: Request) -> Response:
    contact = current_contact(request)
    # a session a case link opened (D5) may still sign in fully, to see the contact's other cases
    if contact is not None and contact.case_scope is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html")


@router.post("/login")
async def request_link(
    request: Request, ctx: Ctx, email: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """Always the same answer for known and unknown addresses: no account enumeration."""
    check_csrf(request, csrf_token)
    try:
        address = normalize_email(email)
    except FormError as exc:
        return render(request, "login.html", {"error": str(exc), "email": email}, status_code=422)
    # counted before the lookup, so the limit behaves the same for addresses we do not know
    decision = await ctx.link_limiter.hit("magic-link", address)
    if not decision.allowed:
        minutes = -(-decision.retry_after_seconds // 60)
        return render(request, "login_limited.html", {"minutes": minutes}, status_code=429)
    try:
        contact = await ctx.cases.get_contact_by_email(email=address)
    except errors.DomainError as exc:
        if exc.code != errors.NOT_FOUND:
            raise
        log.info("magic_link_unknown_address")
    else:
        settings = ctx.settings
        await asyncio.to_thread(
            handlers.issue_magic_link,
            session_factory=ctx.session_factory,
            contact=contact,
            email=address,
            public_url=settings.public_url,
            ttl_seconds=settings.magic_link_ttl_seconds,
            now=datetime.now(UTC),
        )
        ctx.relay.wake()
        log.info("magic_link_issued", contact_id=contact.id)
    ttl_minutes = ctx.settings.magic_link_ttl_seconds // 60
    return render(request, "login_sent.html", {"email": address, "ttl_minutes": ttl_minutes})


@router.get("/auth/{token}")
async def redeem_link(request: Request, ctx: Ctx, token: str) -> Response:
    redeemed = await asyncio.to_thread(
        handlers.redeem_magic_link, session_factory=ctx.session_factory, token=token, now=datetime.now(UTC)
    )
    if redeemed is None:
        return render(request, "link_invalid.html", status_code=400)
    target = await sign_in(request, ctx.sessions, contact_id=redeemed.contact_id, email=redeemed.email)
    log.info("signed_in", contact_id=redeemed.contact_id)
    return RedirectResponse(target, status_code=303)


@router.get("/logout")
async def logout_form(request: Request) -> Response:
    if current_contact(request) is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "logout.html")


@router.post("/logout")
async def logout(request: Request, ctx: Ctx, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    await sign_out(request, ctx.sessions)
    return RedirectResponse("/login?signed_out=1", status_code=303)
