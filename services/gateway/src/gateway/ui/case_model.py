"""Agent UI pages of the case model (issue 3 part A): a case's change history."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from contracts import cases as c
from contracts import errors
from gateway import handlers
from gateway.case_model import call
from gateway.context import AppContext, get_context
from gateway.ui import session as s

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]


@router.get("/cases/{case_id}/history")
async def case_history_page(case_id: int, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Every change of the case, newest first (B10)."""
    try:
        case, history = await asyncio.gather(
            handlers.get_case(rpc=ctx.rpc, case_id=case_id),
            call(ctx.rpc, "get_case_history", list[c.HistoryEntry], case_id=case_id),
        )
    except errors.DomainError as exc:
        if exc.code != errors.NOT_FOUND:
            raise
        from gateway.ui.routes import error_page

        return error_page(request, 404, "Case not found", f"There is no case with id {case_id}.")
    return s.render(request, "case_history.html", {"case": case, "history": list(reversed(history))})
