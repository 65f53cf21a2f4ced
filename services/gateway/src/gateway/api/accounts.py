"""Routes of /api/v1 about agents' accounts: invitations, deactivation, sessions (admins only, decision 0189)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from gateway import agent_changes
from gateway.agent_changes import AgentAccount, SessionsEnded
from gateway.api.changes import AdminChange
from gateway.api.responses import FORBIDDEN

_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "not_found"}}}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 404: _ERROR, 409: _ERROR, 422: _ERROR}

router = APIRouter(prefix="/api/v1", tags=["v1: agent accounts"], responses=_RESPONSES)
AgentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The agent id")]


@router.post(
    "/agents/{agent_id}/invite",
    status_code=202,
    response_class=Response,
    responses={202: {"description": "Invitation queued (no body)"}},
)
async def resend_invite(agent_id: AgentId, change: AdminChange) -> Response:
    """Mail the agent a new link to set their password (valid 24 h); the links sent before stop working."""
    await agent_changes.resend_invite(change.ctx, actor=change.actor, agent_id=agent_id, request_id=change.request_id)
    return Response(status_code=202)


@router.post("/agents/{agent_id}/deactivate", response_model=AgentAccount)
async def deactivate_agent(agent_id: AgentId, change: AdminChange) -> AgentAccount:
    """Stop the agent from working here: their sessions end at once and their API keys are refused from the
    next request (in other gateway processes within `GATEWAY_API_KEY_CACHE_SECONDS`); their cases stay.
    Refused for the agent the calling key acts as, and for the last active admin (409 `last_admin`, kept by the
    cases service)."""
    return await agent_changes.deactivate(
        change.ctx,
        actor=change.actor,
        agent_id=agent_id,
        expected_version=change.expected_version,
        request_id=change.request_id,
    )


@router.post("/agents/{agent_id}/reactivate", response_model=AgentAccount)
async def reactivate_agent(agent_id: AgentId, change: AdminChange) -> AgentAccount:
    """Let a deactivated agent sign in again with their password; their API keys work again."""
    return await agent_changes.reactivate(
        change.ctx,
        actor=change.actor,
        agent_id=agent_id,
        expected_version=change.expected_version,
        request_id=change.request_id,
    )


@router.delete("/agents/{agent_id}/sessions", response_model=SessionsEnded)
async def end_agent_sessions(agent_id: AgentId, change: AdminChange) -> SessionsEnded:
    """Sign the agent out of the agent UI everywhere (their API keys are not affected)."""
    return await agent_changes.end_sessions(
        change.ctx, actor=change.actor, agent_id=agent_id, request_id=change.request_id
    )
