"""An agent's notifications (E2, C7): the list with its unread count, marking read, and the live SSE stream."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from chassis.db import unit_of_work
from chassis.web_security import csrf_token_ok
from contracts import cases as c
from contracts import errors
from contracts.bounds import Flag, Id, LaxId
from contracts.notifications import AgentNotificationPage
from gateway import accounts
from gateway.api import search as search_api
from gateway.api.deps import principal, writer
from gateway.api.responses import COMMON
from gateway.context import AppContext, get_context
from gateway.presence import CaseWatch
from gateway.realtime import END_OF_STREAM, EVENT_KEY
from gateway.ui.inbox import viewer_of
from gateway.ui.session import signed_in

router = APIRouter(prefix="/api/v1", tags=["notifications"], responses=COMMON)

# a comment line this often keeps proxies from closing an idle stream
KEEPALIVE_SECONDS = 15.0


async def current_agent(request: Request, ctx: AppContext = Depends(get_context)) -> int:
    """The agent id of the caller: the signed-in agent's session cookie, or a bearer key that acts as an agent."""
    if not request.headers.get("authorization"):
        agent = signed_in(request)
        if agent is not None:
            return int(agent["id"])
    who = await principal(request)
    actor = await writer(who, ctx)
    if actor.type != c.AuthorType.AGENT or actor.id is None:
        raise errors.DomainError(errors.FORBIDDEN, "this API key does not act as an agent")
    return actor.id


CSRF_HEADER = "x-csrf-token"


async def writing_agent(request: Request, agent_id: int = Depends(current_agent)) -> int:
    """The agent changing something of theirs; a browser session must also send its CSRF token as a header.

    SameSite=lax alone is not enough: any page on a sibling subdomain counts as same-site (decision 0105).
    """
    by_cookie = not request.headers.get("authorization") and signed_in(request) is not None
    if by_cookie and not csrf_token_ok(request.session, request.headers.get(CSRF_HEADER)):
        raise errors.DomainError(errors.FORBIDDEN, "missing or wrong X-CSRF-Token header")
    return agent_id


Ctx = Annotated[AppContext, Depends(get_context)]
AgentId = Annotated[int, Depends(current_agent)]
WritingAgentId = Annotated[int, Depends(writing_agent)]


class MarkRead(BaseModel):
    """Which of my unread notifications to mark read: one (`id`), those up to one (`up_to_id`), or all."""

    model_config = ConfigDict(extra="forbid")

    id: Id | None = Field(default=None, description="Only this notification")
    up_to_id: Id | None = Field(default=None, description="This one and every older one (the newest the agent saw)")

    @model_validator(mode="after")
    def _one_way(self) -> MarkRead:
        if self.id is not None and self.up_to_id is not None:
            raise ValueError("give id or up_to_id, not both")
        return self


class Marked(BaseModel):
    marked: int


@router.get("/notifications", response_model=AgentNotificationPage)
async def list_notifications(
    ctx: Ctx, agent_id: AgentId, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> AgentNotificationPage:
    """My newest notifications and how many are unread."""
    page = await ctx.rpc.call("notifications", "list_agent_notifications", agent_id=agent_id, limit=limit)
    return AgentNotificationPage.model_validate(page)


@router.post("/notifications/read", response_model=Marked)
async def mark_read(ctx: Ctx, agent_id: WritingAgentId, body: MarkRead) -> Marked:
    """Mark my notifications read."""
    result = await ctx.rpc.call(
        "notifications", "mark_agent_notifications_read", agent_id=agent_id, up_to_id=body.up_to_id, only_id=body.id
    )
    return Marked.model_validate(result)


class PreferenceChange(BaseModel):
    enabled: Flag


Preferences = dict[str, dict[str, bool]]


@router.get("/notifications/preferences", response_model=Preferences)
async def get_preferences(ctx: Ctx, agent_id: AgentId) -> Preferences:
    """For each kind (new_case_in_group, assigned_to_me, customer_replied, mentioned, task_assigned, sla_warning,
    sla_breached): on which channels (in_app, email, push, sms) I get it."""
    result: Preferences = await ctx.rpc.call("notifications", "get_agent_preferences", agent_id=agent_id)
    return result


@router.put("/notifications/preferences/{kind}/{channel}", response_model=Preferences)
async def set_preference(
    kind: Annotated[str, Path(max_length=50)],
    channel: Annotated[str, Path(max_length=50)],
    body: PreferenceChange,
    ctx: Ctx,
    agent_id: WritingAgentId,
) -> Preferences:
    """Turn one kind on one channel (in_app, email, push, sms) on or off for me; returns all my settings."""
    result: Preferences = await ctx.rpc.call(
        "notifications", "set_agent_preference", agent_id=agent_id, kind=kind, channel=channel, enabled=body.enabled
    )
    return result


@router.get("/stream", response_class=StreamingResponse, responses={404: {"description": "Unknown or hidden case"}})
async def stream(
    request: Request,
    ctx: Ctx,
    agent_id: AgentId,
    case_id: Annotated[
        LaxId | None,
        Query(description="The case page this stream belongs to: makes me one of its viewers while it is open"),
    ] = None,
    cases: Annotated[bool, Query(description="Also nudge me (`cases`) when any case is created or changes")] = False,
) -> StreamingResponse:
    """Server-Sent Events: `unread` (the count) first, then one `notification` per new notification.

    With `case_id` (a case page; the case is read as the caller, so a hidden one answers 404 as reading it does):
    also `viewers` (the other agents who have the case open, and who of them is typing) whenever that changes, and
    `case` (kind, fields, by whom, new version) when the case changes. With `cases=true` (the case list): `cases`,
    an empty nudge to ask the list again (decision 0248)."""
    if ctx.streams is None:
        raise errors.DomainError(errors.SERVICE_UNAVAILABLE, "real-time stream not running")
    streams = ctx.streams
    watch = await _case_watch(request, ctx, agent_id, case_id) if case_id is not None else None
    queue = streams.subscribe(agent_id, case_id=case_id, case_list=cases)
    try:
        page = await ctx.rpc.call("notifications", "list_agent_notifications", agent_id=agent_id, limit=1)
        unread = int(page.get("unread", 0))
    except errors.DomainError:
        unread = 0  # the count is a courtesy; the stream works without notifications answering

    async def events() -> AsyncIterator[str]:
        try:
            yield _sse("unread", {"unread": unread})
            if watch is not None and (seen := await watch.tick()) is not None:
                yield _sse("viewers", {"viewers": seen})
            spoke = time.monotonic()  # when the stream last had a keepalive
            while not await request.is_disconnected():
                wait = watch.poll_seconds if watch is not None else KEEPALIVE_SECONDS
                try:
                    item: dict[str, Any] | None = await asyncio.wait_for(queue.get(), wait)
                except TimeoutError:
                    item = None
                if item is END_OF_STREAM:  # deactivated through this process
                    return
                if item is not None:
                    data = {k: v for k, v in item.items() if k != EVENT_KEY}
                    yield _sse(str(item.get(EVENT_KEY, "notification")), data)
                if watch is not None and (seen := await watch.tick()) is not None:
                    yield _sse("viewers", {"viewers": seen})
                if time.monotonic() - spoke < KEEPALIVE_SECONDS:
                    continue
                spoke = time.monotonic()
                # deactivated through another gateway process: ends here within a keepalive
                if await run_in_threadpool(_deactivated, ctx, agent_id):
                    return
                yield ": keepalive\n\n"
        finally:
            streams.unsubscribe(agent_id, queue, case_id=case_id)
            if watch is not None:
                # a closed tab cancels this generator: leave anyway, or the viewer stays until the TTL
                with anyio.CancelScope(shield=True):
                    await watch.close()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


async def _case_watch(request: Request, ctx: AppContext, agent_id: int, case_id: int) -> CaseWatch | None:
    """The caller's presence on the case, once the case was read as them (404 when it is unknown or hidden)."""
    agent = None if request.headers.get("authorization") else signed_in(request)
    if agent is not None:
        who, name = viewer_of(agent), str(agent.get("name") or agent.get("email") or "")
    else:
        key = await principal(request)
        who, name = await search_api.viewer(key, ctx), (await writer(key, ctx)).name
    await ctx.cases.get_case(case_id=case_id, viewer=who)
    return await CaseWatch.start(ctx.presence, case_id=case_id, agent_id=agent_id, name=name)


def _deactivated(ctx: AppContext, agent_id: int) -> bool:
    with unit_of_work(ctx.db) as session:
        return accounts.agent_deactivated(session, agent_id=agent_id, agent_email=None)


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
