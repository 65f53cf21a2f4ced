"""Who else has a case open and who is typing on it (decision 0247): read by the API, shown live on the case page.

An agent is a viewer while one of their event streams is open on the case (`GET /api/v1/stream?case_id=`);
the case page opens that stream. Both routes answer an unknown or hidden case exactly as reading the case does
(the typing route through `gateway.case_scope`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from contracts.bounds import LaxId
from gateway.access import ApiPrincipal
from gateway.api import search as search_api
from gateway.api.agent_notifications import AgentId
from gateway.api.deps import require
from gateway.api.responses import COMMON
from gateway.context import AppContext, get_context
from gateway.domain import api_keys
from gateway.presence import Viewer

router = APIRouter(prefix="/api/v1", tags=["presence"], responses=COMMON)
Ctx = Annotated[AppContext, Depends(get_context)]
Reader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_READ))]
CaseId = Annotated[LaxId, Path(description="The case id")]
_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "not_found"}}}}}


class ViewerRead(BaseModel):
    agent_id: int
    name: str
    since: datetime = Field(description="When the agent opened the case (their earliest open page of it)")
    typing: bool = Field(description="The agent typed a reply or note in the last few seconds")


class ViewerList(BaseModel):
    items: list[ViewerRead]


def viewer_read(viewer: Viewer) -> ViewerRead:
    return ViewerRead(agent_id=viewer.agent_id, name=viewer.name, since=viewer.since, typing=viewer.typing)


@router.get("/cases/{case_id}/viewers", response_model=ViewerList, responses={404: _ERROR})
async def list_viewers(case_id: CaseId, ctx: Ctx, who: Reader) -> ViewerList:
    """The agents who have the case open now (the earliest first), and whether each is typing a reply or note.
    A closed page drops out at once; a page whose browser or gateway vanished drops out within
    `GATEWAY_PRESENCE_TTL_SECONDS` (45 s by default). Scoped like reading the case: a case the caller may not see
    answers 404 `not_found`, as an unknown one does."""
    await ctx.cases.get_case(case_id=case_id, viewer=await search_api.viewer(who, ctx))
    return ViewerList(items=[viewer_read(v) for v in await ctx.presence.viewers(case_id)])


@router.post("/cases/{case_id}/typing", status_code=204, responses={404: _ERROR, 409: _ERROR})
async def typing(case_id: CaseId, ctx: Ctx, agent_id: AgentId) -> Response:
    """I am typing on the case: shown to its other viewers for `GATEWAY_TYPING_SECONDS` (8 s by default), so a
    client sends this every few seconds while keys are pressed. For a key acting as an agent; only a viewer may
    type: without an open stream on the case (`GET /api/v1/stream?case_id=`) this answers 409 `not_viewing`."""
    await ctx.presence.typing(case_id=case_id, agent_id=agent_id)
    return Response(status_code=204)
