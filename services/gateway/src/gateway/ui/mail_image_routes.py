"""Agent UI: "always show images from this sender" and its undoing, per agent (decision 0245)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gateway import image_senders
from gateway.context import AppContext, get_context
from gateway.domain.mail_images import sender_key
from gateway.ui import inbox
from gateway.ui import session as s
from gateway.ui.routes import checked_form, error_page
from gateway.ui.session import PageId

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]


async def _sender(request: Request, ctx: AppContext, case_id: int, message_id: int) -> str | None:
    """The sender address of a message on a case the agent may see; None otherwise."""
    messages = await ctx.cases.list_messages(case_id=case_id, viewer=inbox.page_viewer(s.signed_in(request)))
    message = next((m for m in messages if m.id == message_id), None)
    key = sender_key(message.author_email) if message else None
    return key


@router.post("/cases/{case_id}/messages/{message_id}/images/trust")
async def trust_sender(case_id: PageId, message_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    await checked_form(request)
    sender = await _sender(request, ctx, case_id, message_id)
    if sender is None:
        return _no_sender(request, case_id)
    await run_in_threadpool(image_senders.trust, factory=ctx.db, agent_id=int(agent["id"]), sender=sender)
    s.flash(request, f"Images from {sender} are shown to you from now on.")
    return RedirectResponse(f"/cases/{case_id}#message-{message_id}", status_code=303)


@router.post("/cases/{case_id}/messages/{message_id}/images/distrust")
async def distrust_sender(case_id: PageId, message_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    await checked_form(request)
    sender = await _sender(request, ctx, case_id, message_id)
    if sender is None:
        return _no_sender(request, case_id)
    await run_in_threadpool(image_senders.distrust, factory=ctx.db, agent_id=int(agent["id"]), sender=sender)
    s.flash(request, f"Images from {sender} are hidden again.")
    return RedirectResponse(f"/cases/{case_id}#message-{message_id}", status_code=303)


def _no_sender(request: Request, case_id: int) -> Response:
    return error_page(request, 404, "Message not found", f"Case {case_id} has no such message with a sender address.")
