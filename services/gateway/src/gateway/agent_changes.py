"""Agents' accounts as audited admin changes (decisions 0189, 0198), for the API and the admin console alike:
add an agent (and mail the invitation), resend it, deactivate, reactivate, end their sessions.

Each is one `guarded_change` with the same checks wherever it is asked from: an admin cannot deactivate the
agent they act as, nor the last active admin; a deactivated agent gets no invitation."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from contracts import cases as c
from contracts import directory, errors
from gateway import accounts, admin_objects
from gateway.admin_changes import ChangeActor, guarded_change
from gateway.context import AppContext
from gateway.domain.access_links import Purpose


class AgentCreate(directory.AgentWrite):
    """Body of POST /agents: the agent's fields, and whether to mail them an invitation."""

    invite: bool = False


class AgentAccount(c.AgentRead):
    """An agent and whether they may sign in and use their API keys."""

    active: bool = True


class SessionsEnded(BaseModel):
    ended: int


def _inviter(actor: ChangeActor) -> str:
    return actor.email or actor.name


async def _invite(ctx: AppContext, agent: c.AgentRead, actor: ChangeActor) -> None:
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
        invited_by=_inviter(actor),
    )
    if issued is None:
        message = f"agent {agent.id} is deactivated: reactivate them first"
        raise errors.DomainError(errors.AGENT_DEACTIVATED, message, {"agent_id": agent.id})
    if ctx.relay is not None:
        ctx.relay.wake()


async def create(
    ctx: AppContext, *, actor: ChangeActor, data: AgentCreate, request_id: str | None = None
) -> c.AgentRead:
    """Add an agent; with `invite`, mail them the link where they choose their password."""
    if data.invite and (data.email is None or not (data.name or "").strip()):
        raise errors.ValidationFailed(
            message="an invitation needs the agent's email and name", details={"invite": True}
        )

    async def apply() -> c.AgentRead:
        write = directory.AgentWrite.model_validate(data.model_dump(exclude={"invite"}))
        agent = await ctx.cases.save_agent(data=write)
        if data.invite:
            await _invite(ctx, agent, actor)
        return agent

    action = "invite" if data.invite else "create"
    return await guarded_change(
        ctx,
        actor=actor,
        object_type="agent",
        object_id=None,
        action=action,
        expected_version=None,
        load_before=None,
        apply=apply,
        request_id=request_id,
    )


async def update(
    ctx: AppContext,
    *,
    actor: ChangeActor,
    agent_id: int,
    data: directory.AgentWrite,
    expected_version: str | None,
    request_id: str | None = None,
) -> c.AgentRead:
    """Change an agent; `group_ids` (when given) becomes their exact membership. A new role ends their sessions
    (they sign in again with it) and every cached key; the last active admin keeps the role (409 `last_admin`)."""

    async def apply() -> c.AgentRead:
        changes_role = data.role is not None or data.is_admin is not None
        before = await admin_objects.agent(ctx, agent_id) if changes_role else None
        agent = await ctx.cases.save_agent(data=data, agent_id=agent_id)
        if before is not None and before.role is not agent.role:
            await ctx.sessions.end_all(accounts.session_owner(agent.id))
            ctx.keys.clear()  # keys linked to the agent are capped by the new role from their next request
        return agent

    return await guarded_change(
        ctx,
        actor=actor,
        object_type="agent",
        object_id=agent_id,
        action="update",
        expected_version=expected_version,
        load_before=lambda: admin_objects.agent(ctx, agent_id),
        apply=apply,
        request_id=request_id,
    )


async def resend_invite(
    ctx: AppContext, *, actor: ChangeActor, agent_id: int, request_id: str | None = None
) -> c.AgentRead:
    """Mail the agent a new link to set their password (valid 24 h); the links sent before stop working."""

    async def apply() -> c.AgentRead:
        agent = await admin_objects.agent(ctx, agent_id)
        await _invite(ctx, agent, actor)
        return agent

    return await guarded_change(
        ctx,
        actor=actor,
        object_type="agent",
        object_id=agent_id,
        action="invite",
        expected_version=None,
        load_before=lambda: admin_objects.agent(ctx, agent_id),
        apply=apply,
        request_id=request_id,
    )


def _acts_as(actor: ChangeActor, agent: c.AgentRead) -> bool:
    return actor.agent_id == agent.id or (actor.email or "").lower() == agent.email.lower()


async def deactivate(
    ctx: AppContext,
    *,
    actor: ChangeActor,
    agent_id: int,
    expected_version: str | None = None,
    request_id: str | None = None,
) -> AgentAccount:
    """Stop the agent from working here: their sessions end at once and their API keys are refused from the
    next request; their cases stay. Refused for the agent the admin acts as, and for the last active admin
    (409 `last_admin`, kept by the cases service)."""
    current = {a.id: a for a in await ctx.cases.list_agents()}  # active agents
    target = current.get(agent_id)
    if target is not None and _acts_as(actor, target):
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

    return await guarded_change(
        ctx,
        actor=actor,
        object_type="agent",
        object_id=agent_id,
        action="deactivate",
        expected_version=expected_version,
        load_before=lambda: admin_objects.agent(ctx, agent_id),
        apply=apply,
        request_id=request_id,
    )


async def reactivate(
    ctx: AppContext,
    *,
    actor: ChangeActor,
    agent_id: int,
    expected_version: str | None = None,
    request_id: str | None = None,
) -> AgentAccount:
    """Let a deactivated agent sign in again with their password; their API keys work again."""

    async def apply() -> AgentAccount:
        agent = await ctx.cases.save_agent(data=directory.AgentWrite(active=True), agent_id=agent_id)
        await run_in_threadpool(
            accounts.set_deactivated, factory=ctx.db, agent_id=agent.id, email=agent.email, deactivated=False
        )
        return AgentAccount(**agent.model_dump(), active=True)

    return await guarded_change(
        ctx,
        actor=actor,
        object_type="agent",
        object_id=agent_id,
        action="reactivate",
        expected_version=expected_version,
        load_before=lambda: admin_objects.agent(ctx, agent_id),
        apply=apply,
        request_id=request_id,
    )


async def end_sessions(
    ctx: AppContext, *, actor: ChangeActor, agent_id: int, request_id: str | None = None
) -> SessionsEnded:
    """Sign the agent out of the agent UI everywhere (their API keys are not affected)."""

    async def apply() -> SessionsEnded:
        return SessionsEnded(ended=await ctx.sessions.end_all(accounts.session_owner(agent_id)))

    return await guarded_change(
        ctx,
        actor=actor,
        object_type="agent",
        object_id=agent_id,
        action="end_sessions",
        expected_version=None,
        load_before=lambda: admin_objects.agent(ctx, agent_id),
        apply=apply,
        request_id=request_id,
    )
