"""The signed-in agent's profile page: name, personal signature, notification preferences, SMS number, push and
their own API keys. Each section is its own form; each calls the use case its API route calls, never HTTP."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from contracts import case_work as cw
from contracts import directory, errors
from contracts.bounds import LaxId
from gateway import access, key_changes
from gateway.admin_changes import ChangeActor, guarded_change
from gateway.context import AppContext, get_context
from gateway.domain import api_keys
from gateway.ui import session as s
from gateway.ui.routes import checked_form

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]

# the notifications service decides which kinds and channels exist; these are their names for people
KIND_LABELS = {
    "new_case_in_group": "A new case arrives in one of my groups",
    "assigned_to_me": "A case is assigned to me",
    "customer_replied": "The customer replies on my case",
    "mentioned": "Someone mentions me in a note",
    "task_assigned": "A task is assigned to me",
    "sla_warning": "An SLA of my case is about to breach",
    "sla_breached": "An SLA of my case breached",
}
CHANNEL_LABELS = {"in_app": "In the app", "email": "Email", "push": "Push", "sms": "SMS"}
SCOPE_LABELS = {
    api_keys.SCOPE_CASES_READ: "Read cases",
    api_keys.SCOPE_CASES_WRITE: "Change cases",
    api_keys.SCOPE_DIRECTORY_READ: "Read agents, groups and contacts",
    api_keys.SCOPE_REPORTS_READ: "Read reports",
}
NAME_MAX = 200


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _back(anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/profile#{anchor}", status_code=303)


async def _notifications(ctx: AppContext, agent_id: int) -> dict[str, Any]:
    """Preferences, SMS number and push browsers from notifications; `None` each when it does not answer."""
    try:
        prefs, sms, pushes = await asyncio.gather(
            ctx.rpc.call("notifications", "get_agent_preferences", agent_id=agent_id),
            ctx.rpc.call("notifications", "get_agent_sms_number", agent_id=agent_id),
            ctx.rpc.call("notifications", "list_push_subscriptions", agent_id=agent_id),
        )
    except errors.DomainError:
        return {"prefs": None, "sms": None, "pushes": None}
    return {"prefs": prefs, "sms": sms.get("phone"), "pushes": len(pushes)}


async def _page(
    request: Request,
    ctx: AppContext,
    agent: dict[str, Any],
    *,
    problems: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    created_key: key_changes.ApiKeyCreated | None = None,
    status_code: int = 200,
) -> Response:
    me = int(agent["id"])
    agents, signatures, resolved, notes, keys = await asyncio.gather(
        ctx.cases.list_agents(),
        ctx.cases.list_signatures(),
        ctx.cases.resolve_signature(agent_id=me),
        _notifications(ctx, me),
        run_in_threadpool(access.list_api_keys, factory=ctx.db, agent_id=me, agent_email=agent["email"]),
    )
    current = next((a for a in agents if a.id == me), None)
    personal = next((x for x in signatures if x.level == "personal" and x.agent_id == me), None)
    context = {
        "nav": "profile",
        "me": current,
        "personal": personal,
        "resolved": resolved,
        **notes,
        "kind_labels": KIND_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "keys": keys,
        "scope_labels": SCOPE_LABELS,
        "created_key": created_key,
        "problems": problems or {},
        "values": values or {},
    }
    return s.render(request, "profile.html", context, status_code=status_code)


def _invalid(request: Request, ctx: AppContext, agent: dict[str, Any], field: str, message: str, **values: str) -> Any:
    return _page(request, ctx, agent, problems={field: message}, values=values, status_code=422)


@router.get("/profile")
async def profile(request: Request, ctx: Ctx, agent: Agent) -> Response:
    return await _page(request, ctx, agent)


@router.post("/profile/name")
async def change_name(request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    name = _text(form, "name")
    if not name or len(name) > NAME_MAX:
        message = "Enter your name." if not name else f"At most {NAME_MAX} characters."
        return await _invalid(request, ctx, agent, "name", message, name=name)
    me = int(agent["id"])
    # audited like an admin's change of an agent (PATCH /api/v1/agents/{id} calls the same save_agent)
    await guarded_change(
        ctx,
        actor=ChangeActor.web(agent),
        object_type="agent",
        object_id=me,
        action="update",
        expected_version=None,
        load_before=None,
        apply=lambda: ctx.cases.save_agent(data=directory.AgentWrite(name=name), agent_id=me),
    )
    await s.rename(request, ctx.sessions, name)
    s.flash(request, "Your name is saved.", "ok")
    return _back("name-section")


@router.post("/profile/signature")
async def change_signature(request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    # browsers post a textarea's lines with CRLF; mail bodies are built with LF
    greeting, signature = _text(form, "greeting"), str(form.get("signature") or "").replace("\r\n", "\n").strip()
    try:
        data = cw.SignatureSet(agent_id=int(agent["id"]), greeting=greeting, signature=signature)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        limit = "2,000" if field == "greeting" else "10,000"
        return await _invalid(
            request, ctx, agent, field, f"At most {limit} characters.", greeting=greeting, signature=signature
        )
    await ctx.cases.set_signature(data=data)  # PUT /api/v1/signatures with my agent id
    s.flash(request, "Your signature is saved.", "ok")
    return _back("signature-section")


@router.post("/profile/notifications")
async def change_notifications(request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    me = int(agent["id"])
    wanted = {str(v) for v in form.getlist("on")}
    current: dict[str, dict[str, bool]] = await ctx.rpc.call("notifications", "get_agent_preferences", agent_id=me)
    # only what changed, one call each, as PUT /api/v1/notifications/preferences/{kind}/{channel} does
    for kind, channels in current.items():
        for channel, enabled in channels.items():
            on = f"{kind}:{channel}" in wanted
            if on != enabled:
                await ctx.rpc.call(
                    "notifications", "set_agent_preference", agent_id=me, kind=kind, channel=channel, enabled=on
                )
    s.flash(request, "Your notification settings are saved.", "ok")
    return _back("notifications-section")


@router.post("/profile/sms")
async def change_sms(request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    phone = _text(form, "phone")
    if not 3 <= len(phone) <= 40:
        message = "Enter a mobile number, e.g. +47 912 34 567." if not phone else "Not a phone number."
        return await _invalid(request, ctx, agent, "phone", message, phone=phone)
    try:
        await ctx.rpc.call("notifications", "set_agent_sms_number", agent_id=int(agent["id"]), phone=phone)
    except errors.DomainError as exc:
        if exc.code != errors.VALIDATION_ERROR:
            raise
        message = "Not a phone number: write it with the country code, e.g. +47 912 34 567."
        return await _invalid(request, ctx, agent, "phone", message, phone=phone)
    s.flash(request, "Your SMS number is saved.", "ok")
    return _back("sms-section")


@router.post("/profile/sms/clear")
async def clear_sms(request: Request, ctx: Ctx, agent: Agent) -> Response:
    await checked_form(request)
    try:
        await ctx.rpc.call("notifications", "clear_agent_sms_number", agent_id=int(agent["id"]))
    except errors.DomainError as exc:
        if exc.code != errors.NOT_FOUND:  # already gone: the agent wanted no number, and has none
            raise
    s.flash(request, "Your SMS number is removed; no alert goes by SMS.", "ok")
    return _back("sms-section")


@router.post("/profile/api-keys")
async def create_key(request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    name, scopes = _text(form, "name"), [str(v) for v in form.getlist("scopes")]
    is_admin = bool(agent.get("is_admin")) and form.get("is_admin") == "on"
    try:
        data = key_changes.OwnApiKeyCreate.model_validate({"name": name, "scopes": scopes, "is_admin": is_admin})
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        message = "Give the key a name you will recognise." if field == "name" else "Pick what the key may do."
        return await _invalid(request, ctx, agent, f"key_{field}", message, key_name=name)
    if not data.scopes and not data.is_admin:
        return await _invalid(request, ctx, agent, "key_scopes", "Pick what the key may do.", key_name=name)
    created = await key_changes.create_own(
        ctx, actor=ChangeActor.web(agent), data=data, agent_is_admin=bool(agent.get("is_admin")), granted_scopes=None
    )
    # the secret is in this answer only: not in a flash (the session) and not in a redirect
    return await _page(request, ctx, agent, created_key=created, status_code=201)


@router.post("/profile/api-keys/{key_id}/revoke")
async def revoke_key(key_id: Annotated[LaxId, Path()], request: Request, ctx: Ctx, agent: Agent) -> Response:
    await checked_form(request)
    try:
        await key_changes.revoke(
            ctx, actor=ChangeActor.web(agent), key_id=key_id, owner=(int(agent["id"]), agent["email"])
        )
    except errors.DomainError as exc:
        if exc.code not in {errors.NOT_FOUND, errors.LAST_ADMIN_CREDENTIAL}:
            raise
        s.flash(request, exc.message, "error")
        return _back("keys-section")
    s.flash(request, "The key is revoked: it signs nothing in any more.", "ok")
    return _back("keys-section")
