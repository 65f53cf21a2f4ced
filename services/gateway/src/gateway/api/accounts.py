"""Routes of /api/v1 about agents' accounts: invitations, deactivation, sessions (admins only, decision 0189)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from contracts import cases as c
from contracts import directory, errors
from gateway import accounts, admin_objects
from gateway.access import ApiPrincipal
from gateway.api.changes import AdminChange
from gateway.api.responses import FORBIDDEN
from gateway.context import AppContext
from gateway.domain.access_links import Purpose

_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "not_found"}}}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 404: _ERROR, 409: _ERROR, 422: _ERROR}

router = APIRouter(prefix="/api/v1", tags=["v1: agent accounts"], responses=_RESPONSES)
AgentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The agent id")]


class AgentCreate(directory.AgentWrite):
    """Body of POST /agents: the agent's fields, and whether to mail them an invitation."""

    invite: bool = False


class AgentAccount(c.AgentRead):
    """An agent and whether they may sign in and use their API keys."""

    active: bool = True


class SessionsEnded(BaseModel):
    ended: int


def _inviter(who: ApiPrincipal) -> str:
    return who.agent_email or who.name


async def invite(ctx: AppContext, agent: c.AgentRead, who: ApiPrincipal) -> None:
    """Mail the agent a link to set their password (valid 24 h); earlier links stop working."""
    settings = ctx.settings
    issued = await run_in_threadpool(
        accounts.issue_link,
        factory=ctx.db,
        purpose=Purpose.INVITE,
        email=agent.email,
        agent_id=agent.id,
        name=agent.name,
        secret=settings.secret_key,
        public_url=settings.public_url,
        invited_by=_inviter(who),
    )
    if issued is None:
        message = f"agent {agent.id} is deactivated: reactivate them first"
        raise errors.DomainError(errors.AGENT_DEACTIVATED, message, {"agent_id": agent.id})
    if ctx.relay is not None:
        ctx.relay.wake()


async def create_agent(data: AgentCreate, ctx: AppContext, who: ApiPrincipal) -> c.AgentRead:
    """Add an agent; with `invite`, mail them the link where they choose their password."""
    if data.invite and (data.email is None or not (data.name or "").strip()):
        raise errors.ValidationFailed(
            message="an invitation needs the agent's email and name", details={"invite": True}
        )
    agent = await ctx.cases.save_agent(data=directory.AgentWrite.model_validate(data.model_dump(exclude={"invite"})))
    if data.invite:
        await invite(ctx, agent, who)
    return agent


async def update_agent(agent_id: int, data: directory.AgentWrite, ctx: AppContext) -> c.AgentRead:
    """Change an agent; a new role ends their sessions (they sign in again with it) and every cached key."""
    before = await admin_objects.agent(ctx, agent_id) if data.role is not None or data.is_admin is not None else None
    agent = await ctx.cases.save_agent(data=data, agent_id=agent_id)
    if before is not None and before.role is not agent.role:
        await ctx.sessions.end_all(accounts.session_owner(agent.id))
        ctx.keys.clear()  # keys linked to the agent are capped by the new role from their next request
    return agent


@router.post(
    "/agents/{agent_id}/invite",
    status_code=202,
    response_class=Response,
    responses={202: {"description": "Invitation queued (no body)"}},
)
async def resend_invite(agent_id: AgentId, change: AdminChange) -> Response:
    """Mail the agent a new link to set their password (valid 24 h); the links sent before stop working."""
    ctx = change.ctx

    async def apply() -> c.AgentRead:
        agent = await admin_objects.agent(ctx, agent_id)
        await invite(ctx, agent, change.who)
        return agent

    await change("agent", agent_id, "invite", load_before=lambda: admin_objects.agent(ctx, agent_id), apply=apply)
    return Response(status_code=202)


def _acts_as(who: ApiPrincipal, agent: c.AgentRead) -> bool:
    return who.agent_id == agent.id or (who.agent_email or "").lower() == agent.email.lower()


@router.post("/agents/{agent_id}/deactivate", response_model=AgentAccount)
async def deactivate_agent(agent_id: AgentId, change: AdminChange) -> AgentAccount:
    """Stop the agent from working here: their sessions end at once and their API keys are refused from the
    next request (in other gateway processes within `GATEWAY_API_KEY_CACHE_SECONDS`); their cases stay.
    Refused for the agent the calling key acts as, and for the last active admin (409 `last_admin`, kept by the
    cases service)."""
    ctx, who = change.ctx, change.who
    current = {a.id: a for a in await ctx.cases.list_agents()}  # active agents
    target = current.get(agent_id)
    if target is not None and _acts_as(who, target):
        raise errors.DomainError(
            errors.DEACTIVATE_SELF, "an admin cannot deactivate themselves", {"agent_id": agent_id}
        )

    async def apply() -> AgentAccount:
        agent = await ctx.cases.save_agent(data=directory.AgentWrite(active=False), agent_id=agent_id)
        await run_in_threadpool(
            accounts.set_deactivated, factory=ctx.db, agent_id=agent.id, email=agent.email, deactivated=True
        )
        await ctx.sessions.end_all(accounts.session_owner(agent.id))
        ctx.keys.clear()  # this process forgets every verified key: the agent's are refused on their next use
        if ctx.streams is not None:  # their live notification streams end now here, within a keepalive elsewhere
            ctx.streams.close(agent.id)
        return AgentAccount(**agent.model_dump(), active=False)

    return await change(
        "agent", agent_id, "deactivate", load_before=lambda: admin_objects.agent(ctx, agent_id), apply=apply
    )


@router.post("/agents/{agent_id}/reactivate", response_model=AgentAccount)
async def reactivate_agent(agent_id: AgentId, change: AdminChange) -> AgentAccount:
    """Let a deactivated agent sign in again with their password; their API keys work again."""
    ctx = change.ctx

    async def apply() -> AgentAccount:
        agent = await ctx.cases.save_agent(data=directory.AgentWrite(active=True), agent_id=agent_id)
        await run_in_threadpool(
            accounts.set_deactivated, factory=ctx.db, agent_id=agent.id, email=agent.email, deactivated=False
        )
        return AgentAccount(**agent.model_dump(), active=True)

    return await change(
        "agent", agent_id, "reactivate", load_before=lambda: admin_objects.agent(ctx, agent_id), apply=apply
    )


@router.delete("/agents/{agent_id}/sessions", response_model=SessionsEnded)
async def end_agent_sessions(agent_id: AgentId, change: AdminChange) -> SessionsEnded:
    """Sign the agent out of the agent UI everywhere (their API keys are not affected)."""
    ctx = change.ctx

    async def apply() -> SessionsEnded:
        return SessionsEnded(ended=await ctx.sessions.end_all(accounts.session_owner(agent_id)))

    return await change(
        "agent", agent_id, "end_sessions", load_before=lambda: admin_objects.agent(ctx, agent_id), apply=apply
    )
