"""Admin area of API keys: every key with its last use, create one (for an agent or for nobody) whose secret is
shown on the answer page once and never again, revoke one. Changes go through `gateway.key_changes`, the use
cases of /api/v1/api-keys, so the last admin credential is kept here too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import errors
from gateway import access, key_changes
from gateway.admin_changes import ChangeActor
from gateway.context import AppContext
from gateway.domain import api_keys
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Field
from gateway.ui.routes import checked_form
from gateway.ui.session import PageId

BASE = "/admin/api-keys"
SCOPES = (
    (api_keys.SCOPE_CASES_READ, "Read cases"),
    (api_keys.SCOPE_CASES_WRITE, "Write cases"),
    (api_keys.SCOPE_DIRECTORY_READ, "Read the directory (agents, groups, contacts)"),
    (api_keys.SCOPE_REPORTS_READ, "Read reports"),
)
# how the list names a scope, briefly
SCOPE_NAMES = {
    api_keys.SCOPE_CASES_READ: "read cases",
    api_keys.SCOPE_CASES_WRITE: "write cases",
    api_keys.SCOPE_DIRECTORY_READ: "read directory",
    api_keys.SCOPE_REPORTS_READ: "read reports",
}
FIELD_NAMES = {"name", "scopes", "agent_id", "is_admin"}


async def _fields(ctx: AppContext) -> list[dict[str, Any]]:
    agents = [(str(a.id), f"{a.name} ({a.email})") for a in await ctx.cases.list_agents()]
    fields: tuple[tuple[Field, list[tuple[str, str]]], ...] = (
        (Field("name", "Name", required=True, help="What uses the key, e.g. Billing integration."), []),
        (Field("scopes", "What it may do", kind="multiselect"), list(SCOPES)),
        (
            Field("agent_id", "Acts as agent", kind="select", help="Empty: an API client acting as nobody."),
            agents,
        ),
        (Field("is_admin", "Admin key: may change configuration and agents", kind="checkbox"), []),
    )
    return [{"f": f, "options": options} for f, options in fields]


async def _page(
    request: Request,
    ctx: AppContext,
    *,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    created: key_changes.ApiKeyCreated | None = None,
    revoke_error: str = "",
    status_code: int = 200,
) -> Response:
    keys = await run_in_threadpool(access.list_api_keys, factory=ctx.db)
    agents = {a.id: a.name for a in await ctx.cases.list_agents()}
    context = {
        "keys": keys,
        "agents": agents,
        "scope_labels": SCOPE_NAMES,
        "fields": await _fields(ctx),
        "values": values or {"scopes": [api_keys.SCOPE_CASES_READ]},
        "errors": problems or {},
        "created": created,
        "revoke_error": revoke_error,
    }
    return common.render(request, "admin/api_keys.html", context, status_code=status_code)


def _form_values(form: FormData) -> dict[str, Any]:
    agent = common.text(form, "agent_id")
    return {
        "name": common.text(form, "name"),
        "scopes": common.texts(form, "scopes"),
        "agent_id": int(agent) if agent.isdigit() else (agent or None),
        "is_admin": form.get("is_admin") is not None,
    }


def _problems(exc: Exception) -> dict[str, str]:
    problems = common.field_errors(exc, FIELD_NAMES)
    if isinstance(exc, ValidationError) and "name" in problems:
        problems["name"] = "Give the key a name you will recognise it by."
    if isinstance(exc, errors.DomainError) and exc.code == errors.VALIDATION_ERROR and "agent_id" in exc.details:
        problems = {"agent_id": "No such agent: pick one from the list."}
    return problems


async def list_keys(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _page(request, ctx)


async def create_key(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    values = _form_values(form)
    try:
        data = key_changes.ApiKeyCreate.model_validate(values)
        if not data.scopes and not data.is_admin:
            message = "Pick what the key may do."
            raise errors.ValidationFailed(message=message, details={"field": "scopes"})
        created = await key_changes.create(ctx, actor=ChangeActor.web(admin), data=data, agent_id=data.agent_id)
    except (ValidationError, errors.DomainError) as exc:
        status = errors.http_status(exc.code) if isinstance(exc, errors.DomainError) else 422
        return await _page(request, ctx, values=values, problems=_problems(exc), status_code=status)
    # the secret is in this answer only: not in a flash (the session), not behind a redirect, never again
    return await _page(request, ctx, created=created, status_code=201)


async def revoke_key(key_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
    await checked_form(request)
    try:
        revoked = await key_changes.revoke(ctx, actor=ChangeActor.web(admin), key_id=key_id)
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return common.not_found(request, "API key")
        message = exc.message
        if exc.code == errors.LAST_ADMIN_CREDENTIAL:
            message = (
                "This is the last way in for an admin: no active admin can sign in with a password and no other "
                "admin key works. Create another admin key (or set an admin's password) first."
            )
        return await _page(request, ctx, revoke_error=message, status_code=errors.http_status(exc.code))
    s.flash(request, f"Key “{revoked.name}” is revoked: it is refused from now on.", "ok")
    return RedirectResponse(BASE, status_code=303)


def install(router: APIRouter) -> None:
    common.add_section(
        "Integrations",
        common.Section(BASE, "API keys", "Keys for integrations and scripts: scopes, agent, last use; revoke."),
    )
    router.add_api_route(BASE, list_keys, methods=["GET"])
    router.add_api_route(BASE, create_key, methods=["POST"])
    router.add_api_route(BASE + "/{key_id}/revoke", revoke_key, methods=["POST"])
