"""Passwords of the portal (D1, decisions 0251, 0252): registration (off, invite-only, or open to known
organisations' mail domains), a reset by e-mail, and the mailed link where a customer chooses the password."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from chassis import passwords
from chassis.link_tokens import LinkState
from chassis.logging import get_logger
from contracts import errors
from contracts.cases import ContactRead
from contracts.portal import PasswordLinkPurpose
from portal import handlers
from portal.domain.forms import FormError, clean_name, normalize_email
from portal.settings import Registration
from portal.web.auth_routes import client_address, contact_or_none, profile_of, too_many
from portal.web.context import PortalContext, get_context
from portal.web.session import check_csrf, current_contact, session_owner, sign_in
from portal.web.templating import render

log = get_logger(__name__)
router = APIRouter()

Ctx = Annotated[PortalContext, Depends(get_context)]
Field = Annotated[str, Form(max_length=1000)]


async def _limited(request: Request, ctx: PortalContext, address: str) -> str | None:
    """Counts one mailed link for the address typed in and for the client; the message when over a limit."""
    limits = ctx.limits
    for limiter, subject in ((limits.link_account, address), (limits.link_address, client_address(request))):
        decision = await limiter.hit("portal-password-link", subject)
        if not decision.allowed:
            return too_many(decision)
    return None


async def _mail_password_link(ctx: PortalContext, contact: ContactRead, address: str) -> None:
    """A registration link for a contact without a password yet, a reset link for one who has one."""
    has = await asyncio.to_thread(handlers.has_password, session_factory=ctx.session_factory, contact_id=contact.id)
    settings = ctx.settings
    await asyncio.to_thread(
        handlers.issue_password_link,
        session_factory=ctx.session_factory,
        contact=contact,
        email=address,
        purpose=PasswordLinkPurpose.RESET if has else PasswordLinkPurpose.REGISTER,
        secret=settings.secret_key,
        public_url=settings.public_url,
        ttl_seconds=settings.password_link_ttl_seconds,
        now=datetime.now(UTC),
    )
    ctx.relay.wake()
    log.info("password_link_issued", contact_id=contact.id, reset=has)


def _sent(request: Request, ctx: PortalContext, address: str, *, registering: bool) -> Response:
    minutes = ctx.settings.password_link_ttl_seconds // 60
    context = {"email": address, "ttl_minutes": minutes, "registering": registering}
    return render(request, "password_link_sent.html", context)


# -- reset ---------------------------------------------------------------------------------------------------


@router.get("/password-reset")
async def reset_page(request: Request) -> Response:
    """Also where a signed-in customer sets a password: their address is filled in."""
    contact = current_contact(request)
    return render(request, "password_reset.html", {"email": contact.email if contact else ""})


@router.post("/password-reset")
async def request_reset(request: Request, ctx: Ctx, email: Field = "", csrf_token: Field = "") -> Response:
    """The same answer whether or not the address is known or has a password: nobody learns who has one."""
    check_csrf(request, csrf_token)
    try:
        address = normalize_email(email)
    except FormError as exc:
        return render(request, "password_reset.html", {"email": email, "error": str(exc)}, status_code=422)
    limited = await _limited(request, ctx, address)
    if limited:
        return render(request, "password_reset.html", {"email": address, "error": limited}, status_code=429)
    contact = await contact_or_none(ctx, address)
    if contact is not None:
        has = await asyncio.to_thread(handlers.has_password, session_factory=ctx.session_factory, contact_id=contact.id)
        # with registration off, a reset never creates a password where there was none
        if has or ctx.settings.registration is not Registration.OFF:
            await _mail_password_link(ctx, contact, address)
    return _sent(request, ctx, address, registering=False)


# -- registration ----------------------------------------------------------------------------------------------


@router.get("/register")
async def register_page(request: Request, ctx: Ctx) -> Response:
    mode = ctx.settings.registration
    status = 403 if mode is Registration.OFF else 200
    return render(request, "register.html", {"mode": mode.value, "email": "", "name": ""}, status_code=status)


@router.post("/register")
async def register(request: Request, ctx: Ctx, email: Field = "", name: Field = "", csrf_token: Field = "") -> Response:
    check_csrf(request, csrf_token)
    mode = ctx.settings.registration
    context: dict[str, object] = {"mode": mode.value, "email": email, "name": name}
    if mode is Registration.OFF:
        return render(request, "register.html", context, status_code=403)
    try:
        address, full_name = normalize_email(email), clean_name(name)
    except FormError as exc:
        return render(request, "register.html", {**context, "error": str(exc)}, status_code=422)
    limited = await _limited(request, ctx, address)
    if limited:
        return render(request, "register.html", {**context, "error": limited}, status_code=429)
    contact: ContactRead | None
    if mode is Registration.OPEN:
        try:
            contact = await ctx.cases.register_contact(email=address, name=full_name)
        except errors.DomainError as exc:
            if exc.code != errors.REGISTRATION_REFUSED:
                raise
            log.info("registration_refused")
            refused = {**context, "refused": True, "error": exc.message}
            return render(request, "register.html", refused, status_code=403)
    else:
        # invite-only: the directory's contacts are the invited ones; the answer is the same for anyone else
        contact = await contact_or_none(ctx, address)
    if contact is not None:
        await _mail_password_link(ctx, contact, address)
    else:
        log.info("registration_not_invited")
    return _sent(request, ctx, address, registering=True)


# -- the mailed link ------------------------------------------------------------------------------------------

_DEAD = {
    LinkState.USED: "This link was already used, or a newer one was sent since. Each link works once.",
    LinkState.EXPIRED: "This link has expired.",
    LinkState.UNKNOWN: "This link is not valid. Check that you copied the whole address.",
}


def _dead_link(request: Request, state: LinkState) -> Response:
    context = {"message": _DEAD.get(state, _DEAD[LinkState.UNKNOWN])}
    return render(
        request, "password_link_invalid.html", context, status_code=404 if state is LinkState.UNKNOWN else 410
    )


@router.get("/set-password/{token}")
async def set_password_page(request: Request, ctx: Ctx, token: str) -> Response:
    found = await asyncio.to_thread(
        handlers.check_password_link,
        session_factory=ctx.session_factory,
        token=token,
        secret=ctx.settings.secret_key,
        now=datetime.now(UTC),
    )
    if found.state is not LinkState.VALID:
        return _dead_link(request, found.state)
    context = {"token": token, "email": found.email, "registering": found.purpose is PasswordLinkPurpose.REGISTER}
    return render(request, "set_password.html", context)


@router.post("/set-password/{token}")
async def set_password(
    request: Request, ctx: Ctx, token: str, password: Field = "", confirm: Field = "", csrf_token: Field = ""
) -> Response:
    check_csrf(request, csrf_token)
    secret, now = ctx.settings.secret_key, datetime.now(UTC)
    found = await asyncio.to_thread(
        handlers.check_password_link, session_factory=ctx.session_factory, token=token, secret=secret, now=now
    )
    if found.state is not LinkState.VALID or found.contact_id is None:
        return _dead_link(request, found.state)
    context = {"token": token, "email": found.email, "registering": found.purpose is PasswordLinkPurpose.REGISTER}
    problem = passwords.password_problem(password, email=found.email)
    if problem is None and password != confirm:
        problem = "The two passwords differ. Type the same password twice."
    if problem:
        return render(request, "set_password.html", {**context, "error": problem}, status_code=422)
    used = await asyncio.to_thread(
        handlers.set_password_with_link,
        session_factory=ctx.session_factory,
        token=token,
        secret=secret,
        password=password,
        now=now,
    )
    if used.state is not LinkState.VALID or used.contact_id is None:
        return _dead_link(request, used.state)  # a second submit racing this one won
    # a fresh session: the link proved the address, and the old sessions of a reset account stay valid no more
    await ctx.sessions.end_all(session_owner(used.contact_id))
    profile = await profile_of(ctx, used.contact_id)
    await sign_in(request, ctx.sessions, contact_id=used.contact_id, email=used.email, profile=profile)
    log.info("password_set", contact_id=used.contact_id, purpose=str(used.purpose))
    return RedirectResponse("/?password_set=1", status_code=303)
