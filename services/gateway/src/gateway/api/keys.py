"""Routes of /api/v1 about API keys (decisions 0134, 0191, 0198): admins list, create and revoke any key; an
agent lists, creates and revokes their own (`/me/api-keys`). The secret is answered once, at creation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from contracts import cases as c
from contracts import errors
from contracts.bounds import LaxId
from gateway import access, admin_objects, key_changes
from gateway.access import ApiPrincipal
from gateway.admin_changes import ChangeActor
from gateway.api import versioned as v
from gateway.api.changes import AdminChange, AdminCreate, RequestId, ensure_admin, parse_request_id
from gateway.api.deps import principal, writer
from gateway.api.responses import ERROR, FORBIDDEN
from gateway.context import AppContext, get_context
from gateway.key_changes import ApiKeyCreate, ApiKeyCreated, OwnApiKeyCreate

_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: ERROR,
    403: FORBIDDEN,
    404: ERROR,
    409: ERROR,
    422: ERROR,
    503: ERROR,
}

router = APIRouter(prefix="/api/v1", tags=["v1: API keys"], responses=_RESPONSES)
KeyId = Annotated[LaxId, Path(description="The API key id")]
Ctx = Annotated[AppContext, Depends(get_context)]


class ApiKeyList(BaseModel):
    items: list[v.ApiKeyItem]
    next: str | None = None


async def admin(who: ApiPrincipal = Depends(principal)) -> ApiPrincipal:
    """Dependency: the caller, who must act as an admin (403 `role_forbidden` otherwise)."""
    return ensure_admin(who)


Admin = Annotated[ApiPrincipal, Depends(admin)]


@router.get("/api-keys", response_model=ApiKeyList)
async def list_api_keys(ctx: Ctx, _who: Admin) -> ApiKeyList:
    """Every key, newest first, revoked ones too: name, prefix, scopes, agent, admin, created, last used."""
    found = await run_in_threadpool(access.list_api_keys, factory=ctx.db)
    return ApiKeyList.model_validate({"items": v.with_versions(found)})


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(data: ApiKeyCreate, change: AdminCreate) -> ApiKeyCreated:
    """Create a key for an agent (`agent_id`) or for an API client acting as nobody; the answer holds the
    secret, shown this once. Audited without the secret."""
    return await key_changes.create(
        change.ctx, actor=change.actor, data=data, agent_id=data.agent_id, request_id=change.request_id
    )


@router.delete("/api-keys/{key_id}", status_code=204, response_class=Response)
async def revoke_api_key(key_id: KeyId, change: AdminChange) -> Response:
    """Revoke a key: refused at once by this gateway process, by the others within
    `GATEWAY_API_KEY_CACHE_SECONDS` (1 s by default). Revoking a revoked key again is a no-op.

    The last admin credential is kept: revoking the last live admin key while no active admin agent can
    sign in with a password answers 409 `last_admin_credential` and changes nothing (decision 0191)."""
    await key_changes.revoke(
        change.ctx,
        actor=change.actor,
        key_id=key_id,
        expected_version=change.expected_version,
        request_id=change.request_id,
    )
    return Response(status_code=204)


async def _me(ctx: Ctx, who: Annotated[ApiPrincipal, Depends(principal)]) -> tuple[ApiPrincipal, c.Actor]:
    actor = await writer(who, ctx)
    if actor.type != c.AuthorType.AGENT or actor.id is None:
        raise errors.DomainError(errors.FORBIDDEN, "this API key does not act as an agent")
    return who, actor


Me = Annotated[tuple[ApiPrincipal, c.Actor], Depends(_me)]


def _own_actor(who: ApiPrincipal, agent: c.Actor) -> ChangeActor:
    return ChangeActor(
        type="agent", name=agent.name, channel="api", agent_id=agent.id, email=agent.email, api_key_id=who.key_id
    )


@router.get("/me/api-keys", response_model=ApiKeyList)
async def list_my_api_keys(ctx: Ctx, me: Me) -> ApiKeyList:
    """The keys that act as me, newest first (revoked ones too)."""
    _who, agent = me
    found = await run_in_threadpool(access.list_api_keys, factory=ctx.db, agent_id=agent.id, agent_email=agent.email)
    return ApiKeyList.model_validate({"items": v.with_versions(found)})


@router.post("/me/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_my_api_key(data: OwnApiKeyCreate, ctx: Ctx, me: Me, x_request_id: RequestId = None) -> ApiKeyCreated:
    """Create a key that acts as me, with at most the scopes of the key asking (an admin key only if I am an
    admin); the answer holds the secret, shown this once."""
    who, agent = me
    assert agent.id is not None
    is_admin = who.is_admin or (await admin_objects.agent(ctx, agent.id)).is_admin
    return await key_changes.create_own(
        ctx,
        actor=_own_actor(who, agent),
        data=data,
        agent_is_admin=is_admin,
        granted_scopes=None if who.is_admin else who.scopes,
        request_id=parse_request_id(x_request_id),
    )


@router.delete("/me/api-keys/{key_id}", status_code=204, response_class=Response)
async def revoke_my_api_key(key_id: KeyId, ctx: Ctx, me: Me, x_request_id: RequestId = None) -> Response:
    """Revoke one of my keys (another agent's key is not found); the last admin credential stays (409)."""
    who, agent = me
    assert agent.id is not None
    await key_changes.revoke(
        ctx,
        actor=_own_actor(who, agent),
        key_id=key_id,
        owner=(agent.id, agent.email),
        request_id=parse_request_id(x_request_id),
    )
    return Response(status_code=204)
