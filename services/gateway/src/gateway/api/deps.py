"""Request dependencies of the API: who is calling (bearer key), what they may do, and as whom they write."""

from __future__ import annotations

import dataclasses

from fastapi import Depends, HTTPException, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.concurrency import run_in_threadpool

from chassis.logging import get_logger
from contracts import cases as c
from contracts import errors
from gateway import access
from gateway.context import AppContext
from gateway.domain import api_keys, roles

log = get_logger(__name__)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


class ApiKeyBearer(SecurityBase):
    """The caller of the API, from a live bearer key (401 otherwise), with `scope` if one is given (403 otherwise).

    A security scheme itself, so OpenAPI documents `Authorization: Bearer` exactly as fastapi's HTTPBearer did,
    while a request solves one dependency here instead of three (this, the context, an HTTPBearer that only
    documented the scheme): FastAPI's cost per dependency is most of the gateway's own CPU on a read (0159).
    A scoped one (`require`) is one node too, not one over `principal` (0165); the document merges both into the
    one `HTTPBearer` requirement. We parse the header ourselves so every failure is our 401.
    """

    def __init__(self, scope: str | None = None) -> None:
        self.model = HTTPBearerModel(description="An API key: `Authorization: Bearer <key>`")
        self.scheme_name = "HTTPBearer"
        self.needed = scope

    async def __call__(self, request: Request) -> access.ApiPrincipal:
        found = getattr(request.state, "api_principal", None)  # already found by gateway.case_scope
        if not isinstance(found, access.ApiPrincipal):
            found = await self._authenticate(request)
        if self.needed is not None and not api_keys.has_scope(
            scopes=found.scopes, is_admin=found.is_admin, needed=self.needed
        ):
            raise errors.DomainError(
                errors.FORBIDDEN, f"this API key lacks the scope {self.needed}", {"scope": self.needed}
            )
        return found

    @staticmethod
    async def _authenticate(request: Request) -> access.ApiPrincipal:
        token = api_keys.parse_bearer(request.headers.get("authorization"))
        if token is None:
            raise _unauthorized("missing bearer API key")
        ctx: AppContext = request.app.state.ctx
        found = ctx.keys.get(token)  # decision 0134: a key verified within the last second
        if found is None:
            generation = ctx.keys.generation
            found = await run_in_threadpool(access.authenticate_api_key, factory=ctx.db, secret=token)
            if found is None:
                raise _unauthorized("invalid or revoked API key")
            found = await _with_agent_role(found, ctx)
            ctx.keys.remember(token, found, generation)
        request.state.api_principal = found
        return found


async def _with_agent_role(found: access.ApiPrincipal, ctx: AppContext) -> access.ApiPrincipal:
    """The key capped by its agent's role (decision 0195): looked up once per verified key, kept with it."""
    if found.agent_id is None and not found.agent_email:
        return found
    try:
        if found.agent_id is not None:
            agent = await ctx.cases.get_agent(agent_id=found.agent_id)
        else:
            agent = await ctx.cases.get_agent_by_email(email=found.agent_email or "")
    except errors.DomainError as exc:
        if exc.code != errors.NOT_FOUND:
            raise
        log.warning("api_key_agent_unknown", key_id=found.key_id, agent_email=found.agent_email)
        return found  # linked to nobody who exists: the key's own flag
    is_admin = roles.capped(key_is_admin=found.is_admin, agent_role=agent.role)
    return dataclasses.replace(found, is_admin=is_admin, agent_role=agent.role)


principal = ApiKeyBearer()


async def admin(request: Request, who: access.ApiPrincipal = Depends(principal)) -> access.ApiPrincipal:
    """A dependency that lets only admins through (403 `role_forbidden` otherwise)."""
    roles.require_admin(who.role, f"{request.method} {getattr(request.scope.get('route'), 'path', request.url.path)}")
    return who


def require(scope: str) -> ApiKeyBearer:
    """A dependency that lets the call through only with `scope` (403 forbidden otherwise)."""
    return ApiKeyBearer(scope)


async def writer(who: access.ApiPrincipal, ctx: AppContext) -> c.Actor:
    """The actor of a write: the key's agent, or the API client itself when the key has no agent."""
    if who.agent_email:
        try:
            agent = await ctx.cases.get_agent_by_email(email=who.agent_email)
        except errors.DomainError as exc:
            if exc.code != errors.NOT_FOUND:
                raise
            log.warning("api_key_agent_unknown", key_id=who.key_id, agent_email=who.agent_email)
        else:
            if who.agent_id != agent.id:
                await run_in_threadpool(access.link_api_key_agent, factory=ctx.db, key_id=who.key_id, agent_id=agent.id)
                ctx.keys.forget(who.key_id)  # the next request reads the linked agent id (no lookup per request)
            return c.Actor(
                type=c.AuthorType.AGENT, id=agent.id, name=agent.name, email=agent.email, channel=c.Channel.API
            )
    if who.agent_id is not None:
        return c.Actor(type=c.AuthorType.AGENT, id=who.agent_id, name=who.name, channel=c.Channel.API)
    return c.Actor(type=c.AuthorType.SYSTEM, name=f"API client {who.name}", channel=c.Channel.API)
