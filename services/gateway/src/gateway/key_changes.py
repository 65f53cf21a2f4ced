"""Creating and revoking API keys as audited admin changes (decisions 0191, 0198), for the API and the pages.

An admin creates a key for any agent, or for no agent, admin or not; an agent creates keys for themselves only,
with at most the scopes they may grant, and an admin key only when they are an admin. The secret is in the
answer once and never in the audit log."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from contracts import errors
from contracts.bounds import Flag, Id
from contracts.cases import AgentRole
from gateway import access, admin_objects, key_revocation
from gateway.access import ApiKeyRead
from gateway.admin_changes import ChangeActor, guarded_change
from gateway.context import AppContext
from gateway.domain import api_keys

Scope = Literal["cases:read", "cases:write", "directory:read", "reports:read", "*"]


class OwnApiKeyCreate(BaseModel):
    """A key for yourself: a name to recognise it by and what it may do."""

    # no control characters: a NUL cannot be stored in PostgreSQL text, and none belongs in a name
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    scopes: list[Scope] = Field(default_factory=lambda: list(api_keys.ALL_SCOPES), max_length=10)
    is_admin: Flag = Field(default=False, description="Everything, whatever the scopes: only an admin may ask")


class ApiKeyCreate(OwnApiKeyCreate):
    """A key made by an admin: for an agent (`agent_id`) or for an API client acting as nobody."""

    agent_id: Id | None = Field(default=None, description="The agent the key acts as; null: no agent")


class ApiKeyCreated(ApiKeyRead):
    """The new key, with its secret: shown this once, never stored (only its hash is)."""

    secret: str = Field(description="`Authorization: Bearer <secret>`: store it now, it is not shown again")


async def create(
    ctx: AppContext,
    *,
    actor: ChangeActor,
    data: OwnApiKeyCreate,
    agent_id: int | None,
    request_id: str | None = None,
) -> ApiKeyCreated:
    """Store a key acting as `agent_id` (an agent of cases: 422 otherwise); audited as `create` without secret."""
    email = None
    if agent_id is not None:
        try:
            email = (await admin_objects.agent(ctx, agent_id)).email
        except errors.DomainError as exc:
            if exc.code != errors.NOT_FOUND:
                raise
            raise errors.ValidationFailed(message=f"no agent {agent_id}", details={"agent_id": agent_id}) from exc

    async def apply() -> ApiKeyCreated:
        key_id, secret = await run_in_threadpool(
            access.create_api_key,
            factory=ctx.db,
            name=data.name.strip() or data.name,
            scopes=list(dict.fromkeys(data.scopes)),
            is_admin=data.is_admin,
            agent_id=agent_id,
            agent_email=email,
        )
        stored = await admin_objects.api_key(ctx, key_id)
        return ApiKeyCreated(**stored.model_dump(), secret=secret)

    return await guarded_change(
        ctx,
        actor=actor,
        object_type="api_key",
        object_id=None,
        action="create",
        expected_version=None,
        load_before=None,
        apply=apply,
        request_id=request_id,
    )


async def create_own(
    ctx: AppContext,
    *,
    actor: ChangeActor,
    data: OwnApiKeyCreate,
    agent_is_admin: bool,
    granted_scopes: tuple[str, ...] | None,
    request_id: str | None = None,
) -> ApiKeyCreated:
    """An agent's key for themselves: an admin key only for an admin, and no scope the agent may not grant
    (`granted_scopes`: those of the key asking; None for a signed-in agent, who has them all)."""
    if actor.agent_id is None:
        raise errors.DomainError(errors.FORBIDDEN, "only an agent has keys of their own")
    if data.is_admin and not agent_is_admin:
        # the caller's role is what is missing, as for every admin-only call (decision 0195)
        raise errors.DomainError(
            errors.ROLE_FORBIDDEN, "An admin key needs an admin", {"is_admin": True, "needed": "admin"}
        )
    if granted_scopes is not None and not agent_is_admin and "*" not in granted_scopes:
        beyond = sorted(set(data.scopes) - set(granted_scopes))
        if beyond:
            message = "a key cannot grant scopes the key asking for it lacks"
            raise errors.DomainError(errors.FORBIDDEN, message, {"scopes": beyond})
    return await create(ctx, actor=actor, data=data, agent_id=actor.agent_id, request_id=request_id)


def _owned_by(key: ApiKeyRead, agent_id: int, email: str | None) -> bool:
    if key.agent_id is not None:
        return key.agent_id == agent_id
    return bool(email and key.agent_email and key.agent_email.lower() == email.lower())


async def revoke(
    ctx: AppContext,
    *,
    actor: ChangeActor,
    key_id: int,
    expected_version: str | None = None,
    owner: tuple[int, str | None] | None = None,
    request_id: str | None = None,
) -> ApiKeyRead:
    """Revoke a key (a revoked one again: no change); with `owner` (agent id, email), only that agent's keys
    (another's is not found). The last admin credential stays (409 `last_admin_credential`, decision 0191)."""

    async def before() -> ApiKeyRead:
        found = await admin_objects.api_key(ctx, key_id)
        if owner is not None and not _owned_by(found, *owner):
            raise errors.NotFound(message=f"API key {key_id} not found", details={"key_id": key_id})
        return found

    async def apply() -> ApiKeyRead:
        admins = [a for a in await ctx.cases.list_agents() if a.role is AgentRole.ADMIN]  # active agents only
        await run_in_threadpool(
            key_revocation.revoke,
            factory=ctx.db,
            key_id=key_id,
            admin_emails=[a.email for a in admins],
            admin_ids=[a.id for a in admins],
        )
        ctx.keys.forget(key_id)
        return await admin_objects.api_key(ctx, key_id)

    return await guarded_change(
        ctx,
        actor=actor,
        object_type="api_key",
        object_id=key_id,
        action="revoke",
        expected_version=expected_version,
        load_before=before,
        apply=apply,
        request_id=request_id,
    )
