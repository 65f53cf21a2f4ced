"""Agent UI pages of the case model: a case's change history, and the answers to a mail from someone not on
the case (make it public, add its sender as a follower; decision 0220)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from contracts import errors
from contracts import mail_gateway as mg
from gateway.context import AppContext, get_context
from gateway.ui import inbox
from gateway.ui import session as s
from gateway.ui.history_view import timeline
from gateway.ui.session import PageId

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]


@router.get("/cases/{case_id}/history")
async def case_history_page(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Every change of the case and every mail it received (with why it landed here), newest first (B10, 0148)."""
    try:
        case, history, mails = await asyncio.gather(
            ctx.cases.get_case(case_id=case_id),
            ctx.cases.get_case_history(case_id=case_id),
            _inbound_mails(ctx, case_id),
        )
    except errors.DomainError as exc:
        if exc.code != errors.NOT_FOUND:
            raise
        from gateway.ui.routes import error_page

        return error_page(request, 404, "Case not found", f"There is no case with id {case_id}.")
    rows = timeline(history, mails or [], case_id)
    return s.render(request, "case_history.html", {"case": case, "rows": rows, "mail_unavailable": mails is None})


async def _inbound_mails(ctx: AppContext, case_id: int) -> list[mg.InboundMailRead] | None:
    """The case's inbound mails from the mail gateway's audit; None (the page still shows) if it does not answer."""
    filters = mg.InboundMailFilter(case_id=case_id, limit=200).model_dump(mode="json")
    try:
        page = await ctx.rpc.call("mail_gateway", "list_inbound_mail", filters=filters, timeout=3.0)
    except errors.DomainError:
        return None
    return mg.InboundMailPage.model_validate(page).items


# -- a mail from someone not on the case (decision 0220) -----------------------------------------


@router.post("/cases/{case_id}/messages/{message_id}/make-public")
async def make_outsider_public(
    case_id: PageId, message_id: PageId, request: Request, ctx: Ctx, agent: Agent
) -> Response:
    return await _answer_outsider(request, ctx, agent, case_id, message_id, public=True)


@router.post("/cases/{case_id}/messages/{message_id}/add-follower")
async def add_outsider_as_follower(
    case_id: PageId, message_id: PageId, request: Request, ctx: Ctx, agent: Agent
) -> Response:
    return await _answer_outsider(request, ctx, agent, case_id, message_id, public=False)


async def _answer_outsider(
    request: Request, ctx: AppContext, agent: dict[str, Any], case_id: int, message_id: int, *, public: bool
) -> Response:
    from gateway.ui.routes import checked_form, error_page

    await checked_form(request)
    try:
        # the case as the agent may see it (restricted groups): 404 otherwise, before anything changes
        await ctx.cases.get_case(case_id=case_id, viewer=inbox.page_viewer(s.signed_in(request)))
        if public:
            await ctx.cases.make_message_public(case_id=case_id, message_id=message_id, actor=s.actor(agent))
        else:
            await ctx.cases.add_sender_as_follower(case_id=case_id, message_id=message_id, actor=s.actor(agent))
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return error_page(request, 404, "Not found", exc.message)
        if exc.code == errors.NOT_FROM_OUTSIDER:
            return error_page(request, 422, "Not a mail from someone outside the case", exc.message)
        raise
    s.flash(request, "The mail is now public." if public else "The sender now follows this case.")
    return RedirectResponse(f"/cases/{case_id}#message-{message_id}", status_code=303)
