"""Agent UI pages of the case model: a case's change history."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from contracts import errors
from contracts import mail_gateway as mg
from gateway.context import AppContext, get_context
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
