"""Web Push and SMS for agents (E2): the VAPID public key, my browsers' subscriptions, the service worker,
and the number my SMS alerts go to.

The subscriptions and the private key live in notifications, which sends the pushes; the gateway only
passes an agent's browser subscription through (decision 0097).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from contracts.notifications import PushSubscriptionCreate, PushSubscriptionDelete, PushSubscriptionRead
from gateway.api.agent_notifications import current_agent, writing_agent
from gateway.api.responses import COMMON
from gateway.context import AppContext, get_context

router = APIRouter(tags=["push"], responses=COMMON)

SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "push-sw.js"

Ctx = Annotated[AppContext, Depends(get_context)]


AgentId = Annotated[int, Depends(current_agent)]
WritingAgentId = Annotated[int, Depends(writing_agent)]  # a browser session also sends its CSRF token


class VapidPublicKey(BaseModel):
    public_key: str  # `applicationServerKey` for PushManager.subscribe(): an uncompressed P-256 point, base64url


@router.get("/api/v1/push/vapid-public-key", response_model=VapidPublicKey)
async def vapid_public_key(ctx: Ctx) -> VapidPublicKey:
    """The key browsers subscribe with; pushes are signed with its private half (RFC 8292)."""
    return VapidPublicKey.model_validate(await ctx.rpc.call("notifications", "get_push_public_key"))


@router.get("/api/v1/me/push-subscriptions", response_model=list[PushSubscriptionRead])
async def list_subscriptions(ctx: Ctx, agent_id: AgentId) -> list[PushSubscriptionRead]:
    """My browsers that receive pushes."""
    rows = await ctx.rpc.call("notifications", "list_push_subscriptions", agent_id=agent_id)
    return [PushSubscriptionRead.model_validate(r) for r in rows]


@router.post("/api/v1/me/push-subscriptions", response_model=PushSubscriptionRead, status_code=201)
async def subscribe(
    body: PushSubscriptionCreate, request: Request, ctx: Ctx, agent_id: WritingAgentId
) -> PushSubscriptionRead:
    """Opt this browser in: the body is the browser's `PushSubscription.toJSON()`."""
    saved = await ctx.rpc.call(
        "notifications",
        "save_push_subscription",
        agent_id=agent_id,
        data=body.model_dump(mode="json"),
        user_agent=request.headers.get("user-agent", "")[:300],
    )
    return PushSubscriptionRead.model_validate(saved)


@router.delete("/api/v1/me/push-subscriptions", status_code=204)
async def unsubscribe(body: PushSubscriptionDelete, ctx: Ctx, agent_id: WritingAgentId) -> Response:
    """Opt a browser out (404 when it is not one of mine)."""
    await ctx.rpc.call("notifications", "delete_push_subscription", agent_id=agent_id, endpoint=body.endpoint)
    return Response(status_code=204)


class SmsNumber(BaseModel):
    phone: str | None = None  # E.164 after normalising ("0047 912 34 567" -> "+4791234567")


class SmsNumberChange(BaseModel):
    phone: str = Field(min_length=3, max_length=40)


@router.get("/api/v1/me/sms-number", response_model=SmsNumber, tags=["notifications"])
async def get_sms_number(ctx: Ctx, agent_id: AgentId) -> SmsNumber:
    """The number my SMS alerts go to (null: none; then no alert goes by SMS)."""
    return SmsNumber.model_validate(await ctx.rpc.call("notifications", "get_agent_sms_number", agent_id=agent_id))


@router.put("/api/v1/me/sms-number", response_model=SmsNumber, tags=["notifications"])
async def set_sms_number(body: SmsNumberChange, ctx: Ctx, agent_id: WritingAgentId) -> SmsNumber:
    """Register my mobile number; which alerts go there: `PUT /api/v1/notifications/preferences/{kind}/sms`."""
    result = await ctx.rpc.call("notifications", "set_agent_sms_number", agent_id=agent_id, phone=body.phone)
    return SmsNumber.model_validate(result)


@router.delete("/api/v1/me/sms-number", status_code=204, tags=["notifications"])
async def clear_sms_number(ctx: Ctx, agent_id: WritingAgentId) -> Response:
    await ctx.rpc.call("notifications", "clear_agent_sms_number", agent_id=agent_id)
    return Response(status_code=204)


@router.get("/push-sw.js", include_in_schema=False)
async def service_worker() -> FileResponse:
    """The service worker that shows pushes; served from the root so its scope is the whole agent UI."""
    return FileResponse(
        SERVICE_WORKER,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
