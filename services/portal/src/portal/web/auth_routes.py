"""Sign-in (D1): by password (throttled per account and per client address), or by a mailed magic link
redeemed once; sign-out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from chassis.logging import get_logger
from chassis.ratelimit import RateDecision
from contracts import errors
from contracts.cases import ContactRead
from portal import handlers
from portal.domain.forms import FormError, normalize_email
from portal.settings import PortalSettings
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
    return _login_page(request, {})


@router.post("/login")
async def login(
    request: Request,
    ctx: Ctx,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    method: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A password signs in at once; without one (or with "email me a link") a magic link is mailed: only an
    `email` is the magic link, as it always was."""
    check_csrf(request, csrf_token)
    try:
        address = normalize_email(email)
    except FormError as exc:
        return _login_page(request, {"error": str(exc), "email": email}, status_code=422)
    if method == "password" or (method != "link" and password):
        return await _password_sign_in(request, ctx, address, password)
    return await _mail_link(request, ctx, address)


def _login_page(request: Request, context: dict[str, object], *, status_code: int = 200) -> Response:
    return render(
        request,
        "login.html",
        {"registration": _settings(request).registration.value, **context},
        status_code=status_code,
    )


def _settings(request: Request) -> PortalSettings:
    settings: PortalSettings = request.app.state.ctx.settings
    return settings


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many(decision: RateDecision) -> str:
    minutes = max(1, -(-decision.retry_after_seconds // 60))
    return f"Too many attempts. Please wait {minutes} minute{'s' if minutes != 1 else ''} and try again."


async def _password_sign_in(request: Request, ctx: PortalContext, address: str, password: str) -> Response:
    context: dict[str, object] = {"email": address, "tab": "password"}
    if not password:
        return _login_page(request, {**context, "password_error": "Enter your password."}, status_code=422)
    limits = ctx.limits
    # asked before the password is checked, so a throttled guess costs nothing and learns nothing
    for limiter, subject in ((limits.signin_account, address), (limits.signin_address, client_address(request))):
        decision = await limiter.peek("portal-signin", subject)
        if not decision.allowed:
            log.info("signin_throttled", by="account" if limiter is limits.signin_account else "address")
            response = _login_page(request, {**context, "error": too_many(decision)}, status_code=429)
            response.headers["Retry-After"] = str(decision.retry_after_seconds)
            return response
    contact = await contact_or_none(ctx, address)
    ok = await asyncio.to_thread(
        handlers.check_password,
        session_factory=ctx.session_factory,
        contact_id=contact.id if contact else None,
        password=password,
    )
    if not ok or contact is None:
        await limits.signin_account.hit("portal-signin", address)
        await limits.signin_address.hit("portal-signin", client_address(request))
        # one message for every failure: nobody learns which addresses have an account
        return _login_page(request, {**context, "error": SIGN_IN_FAILED}, status_code=401)
    target = await sign_in(
        request, ctx.sessions, contact_id=contact.id, email=address, profile=await profile_of(ctx, contact.id)
    )
    log.info("signed_in", contact_id=contact.id, method="password")
    return RedirectResponse(target, status_code=303)


SIGN_IN_FAILED = "Wrong e-mail address or password."


async def contact_or_none(ctx: PortalContext, address: str) -> ContactRead | None:
    try:
        return await ctx.cases.get_contact_by_email(email=address)
    except errors.DomainError as exc:
        if exc.code != errors.NOT_FOUND:
            raise
        return None


async def profile_of(ctx: PortalContext, contact_id: int) -> dict[str, object]:
    """What the session keeps of the contact: their organisation and whether it shares its cases (D10)."""
    found = await ctx.cases.get_portal_contact(contact_id=contact_id)
    return {"organisation_id": found.organisation_id, "sees_organisation_cases": found.sees_organisation_cases}


async def _mail_link(request: Request, ctx: PortalContext, address: str) -> Response:
    """Always the same answer for known and unknown addresses: no account enumeration."""
    # counted before the lookup, so the limit behaves the same for addresses we do not know
    decision = await ctx.link_limiter.hit("magic-link", address)
    if not decision.allowed:
        minutes = -(-decision.retry_after_seconds // 60)
        return render(request, "login_limited.html", {"minutes": minutes}, status_code=429)
    contact = await contact_or_none(ctx, address)
    if contact is None:
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
    profile = await profile_of(ctx, redeemed.contact_id)
    target = await sign_in(request, ctx.sessions, contact_id=redeemed.contact_id, email=redeemed.email, profile=profile)
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
