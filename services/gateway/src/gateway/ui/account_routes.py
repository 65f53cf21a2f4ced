"""Pages of an agent's account: sign-in (throttled), sign-out (here or everywhere), password reset, and the
mailed link where an invited or resetting agent sets a password (decisions 0189, 0190)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from chassis import passwords
from chassis.logging import get_logger
from chassis.ratelimit import RateDecision
from chassis.sessions import SessionStoreUnavailable
from chassis.web_security import safe_next
from contracts import cases as c
from contracts import errors
from gateway import access, accounts
from gateway.context import AppContext, get_context
from gateway.domain.access_links import LinkState, Purpose
from gateway.ui import session as s
from gateway.ui.routes import checked_form

log = get_logger(__name__)
router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
WRONG = "Wrong email or password."
UNAVAILABLE = "Signing in is unavailable for a moment. Please try again shortly."


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def too_many(decision: RateDecision) -> str:
    minutes = max(1, -(-decision.retry_after_seconds // 60))
    return f"Too many attempts, try again in {minutes} minute{'s' if minutes != 1 else ''}."


# -- sign-in and sign-out ------------------------------------------------------------------------


@router.get("/login")
async def login_page(
    request: Request,
    next_path: Annotated[str, Query(alias="next", max_length=2000)] = "/",
    email: Annotated[str, Query(max_length=320)] = "",
) -> Response:
    if s.signed_in(request):
        return _see_other(safe_next(next_path))
    return s.render(request, "login.html", {"next": safe_next(next_path), "email": email})


@router.post("/login")
async def login(request: Request, ctx: Ctx) -> Response:
    form = await checked_form(request)
    email, password, next_path = _field(form, "email").lower(), str(form.get("password") or ""), _field(form, "next")
    context = {"next": safe_next(next_path), "email": email}
    # asked before the password is checked, so a throttled guess costs nothing and learns nothing
    for limiter, subject in ((ctx.limits.signin_account, email), (ctx.limits.signin_address, _client(request))):
        decision = await limiter.peek("signin", subject)
        if not decision.allowed:
            log.info("signin_throttled", by="account" if limiter is ctx.limits.signin_account else "address")
            response = s.render(request, "login.html", {**context, "error": too_many(decision)}, status_code=429)
            response.headers["Retry-After"] = str(decision.retry_after_seconds)
            return response
    ok = bool(email and password) and await run_in_threadpool(
        access.check_agent_password, factory=ctx.db, email=email, password=password
    )
    agent: c.AgentRead | None = None
    if ok:
        try:
            agent = await ctx.cases.get_agent_by_email(email=email)  # active agents only
        except errors.DomainError as exc:
            if exc.code != errors.NOT_FOUND:
                raise
    if agent is None:
        await ctx.limits.signin_account.hit("signin", email)
        await ctx.limits.signin_address.hit("signin", _client(request))
        # one message for every failure: do not tell which emails have accounts
        return s.render(request, "login.html", {**context, "error": WRONG}, status_code=401)
    await run_in_threadpool(access.link_credential_agent, factory=ctx.db, email=email, agent_id=agent.id)
    try:
        await s.sign_in(request, ctx.sessions, agent)
    except SessionStoreUnavailable:
        return s.render(request, "login.html", {**context, "error": UNAVAILABLE}, status_code=503)
    return _see_other(safe_next(next_path))


@router.post("/logout")
async def logout(request: Request, ctx: Ctx) -> Response:
    await checked_form(request)
    await s.sign_out(request, ctx.sessions)
    return _see_other("/login")


@router.post("/logout/everywhere")
async def logout_everywhere(request: Request, ctx: Ctx, agent: Annotated[dict, Depends(s.require_agent)]) -> Response:
    """End every session of this agent: other browsers and devices too."""
    await checked_form(request)
    ended = await ctx.sessions.end_all(accounts.session_owner(int(agent["id"])))
    log.info("signed_out_everywhere", agent_id=agent["id"], sessions=ended)
    await s.sign_out(request, ctx.sessions)
    s.flash(request, "You are signed out on every device.")
    return _see_other("/login")


# -- password reset --------------------------------------------------------------------------------


@router.get("/password-reset")
async def reset_page(request: Request) -> Response:
    return s.render(request, "password_reset.html", {"email": ""})


@router.post("/password-reset")
async def request_reset(request: Request, ctx: Ctx) -> Response:
    """The same answer whether or not the address is an agent's: nobody learns who has an account here."""
    form = await checked_form(request)
    email = accounts.normalise(_field(form, "email"))[:320]
    if "@" not in email:
        context = {"email": email, "error": "Enter the email address you sign in with."}
        return s.render(request, "password_reset.html", context, status_code=422)
    # counted before the lookup, so the limit behaves the same for addresses we do not know
    for limiter, subject in ((ctx.limits.reset_account, email), (ctx.limits.reset_address, _client(request))):
        decision = await limiter.hit("password-reset", subject)
        if not decision.allowed:
            context = {"email": email, "error": too_many(decision)}
            return s.render(request, "password_reset.html", context, status_code=429)
    try:
        agent = await ctx.cases.get_agent_by_email(email=email)  # active agents only
    except errors.DomainError as exc:
        if exc.code != errors.NOT_FOUND:
            raise
        log.info("password_reset_unknown_address")
    else:
        settings = ctx.settings
        issued = await run_in_threadpool(
            accounts.issue_link,
            factory=ctx.db,
            purpose=Purpose.RESET,
            email=agent.email,
            agent_id=agent.id,
            name=agent.name,
            secret=settings.secret_key,
            public_url=settings.public_url,
        )
        if issued is not None and ctx.relay is not None:
            ctx.relay.wake()
        log.info("password_reset_issued" if issued else "password_reset_deactivated", agent_id=agent.id)
    return s.render(request, "password_reset_sent.html", {"email": email})


# -- the mailed link -------------------------------------------------------------------------------

_LINK_PAGES = {
    LinkState.USED: (
        "Link already used",
        "This link has already been used, or a newer one was sent since. Each link works once.",
    ),
    LinkState.EXPIRED: ("Link expired", "This link has expired."),
    LinkState.UNKNOWN: ("Link not valid", "This link is not valid. Check that you copied the whole address."),
}


def _dead_link(request: Request, state: LinkState) -> Response:
    title, message = _LINK_PAGES[state]
    context = {"title": title, "message": message}
    return s.render(request, "link_invalid.html", context, status_code=404 if state is LinkState.UNKNOWN else 410)


@router.get("/set-password/{token}")
async def set_password_page(token: str, request: Request, ctx: Ctx) -> Response:
    found = await run_in_threadpool(accounts.check_link, factory=ctx.db, token=token, secret=ctx.settings.secret_key)
    if found.state is not LinkState.VALID:
        return _dead_link(request, found.state)
    context = {"token": token, "email": found.email, "invite": found.purpose is Purpose.INVITE}
    return s.render(request, "set_password.html", context)


@router.post("/set-password/{token}")
async def set_password(token: str, request: Request, ctx: Ctx) -> Response:
    form = await checked_form(request)
    secret = ctx.settings.secret_key
    found = await run_in_threadpool(accounts.check_link, factory=ctx.db, token=token, secret=secret)
    if found.state is not LinkState.VALID:
        return _dead_link(request, found.state)
    password, confirm = str(form.get("password") or ""), str(form.get("confirm") or "")
    problem = passwords.password_problem(password, email=found.email)
    if problem is None and password != confirm:
        problem = "The two passwords differ."
    if problem is not None:
        context = {"token": token, "email": found.email, "invite": found.purpose is Purpose.INVITE, "error": problem}
        return s.render(request, "set_password.html", context, status_code=422)
    done = await run_in_threadpool(
        accounts.set_password_with_link, factory=ctx.db, token=token, secret=secret, password=password
    )
    if done.state is not LinkState.VALID:
        return _dead_link(request, done.state)
    if done.agent_id is not None:
        # a new password ends every session that the old one opened
        await ctx.sessions.end_all(accounts.session_owner(done.agent_id))
    await s.sign_out(request, ctx.sessions)
    s.flash(request, "Your password is set. Sign in with it now.")
    log.info("agent_password_set", agent_id=done.agent_id, purpose=str(done.purpose))
    return _see_other(f"/login?{urlencode({'email': done.email})}")
