"""Pages of the case list as a whole: its export (CSV, Excel) and its bulk changes (decisions 0236, 0237).

Included before `gateway.ui.routes`, whose `GET /cases/{case_id}` would otherwise take `/cases/export`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.responses import JSONResponse, Response

from chassis.web_security import safe_next
from contracts import errors
from gateway import case_bulk, case_export
from gateway.context import AppContext, get_context
from gateway.domain.case_bulk import MAX_CASES, BulkChanges, BulkRequest
from gateway.domain.case_export import ExportFormat
from gateway.ui import inbox, list_query
from gateway.ui import session as s
from gateway.ui.inbox import viewer_of
from gateway.ui.routes import PAGE_SIZE, checked_form, error_page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]


@router.get("/cases/export")
async def export_cases(request: Request, ctx: Ctx, agent: Agent, format: str = "csv", saved: str = "") -> Response:  # noqa: A002
    """The list as shown (its filters and sort, or a saved search's), every page of it, as a download."""
    fmt = ExportFormat(format) if format in set(ExportFormat) else None
    if fmt is None:
        return error_page(request, 422, "Unknown format", "Export as csv or xlsx.")
    who = viewer_of(agent)
    try:
        if saved.isdigit():
            found = await ctx.cases.get_saved_search(viewer=who, search_id=int(saved))
            filters = found.filters.page(None, case_export.PAGE)
        else:
            filters = list_query.parse(request.query_params).case_filter(limit=case_export.PAGE)
        return await case_export.export(ctx, filters=filters, viewer=who, fmt=fmt)
    except errors.DomainError as exc:
        return error_page(request, errors.http_status(exc.code), "Nothing exported", exc.message)


@router.get("/cases/changed")
async def changed_cases(
    request: Request, ctx: Ctx, agent: Agent, since: str = "", cursor: str = "", view: str = "", saved: str = ""
) -> Response:
    """How many cases of the list as shown (its view, saved search, search or filters and sort, and page) were
    created or changed after `since`: the list's live bar asks this when its stream says cases changed (0250)."""
    try:
        after = datetime.fromisoformat(since)
    except ValueError:
        raise errors.ValidationFailed(message="since must be an ISO date and time", details={"since": since}) from None
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    found = await inbox.inbox(
        ctx,
        agent,
        view=view,
        query=list_query.parse(request.query_params),
        cursor=cursor or None,
        limit=PAGE_SIZE,
        saved=int(saved) if saved.isdigit() else None,
    )
    count = sum(1 for case in found["page"].items if case.updated_at > after)
    return JSONResponse({"count": count}, headers={"Cache-Control": "no-store"})


def _changes(form: Any) -> dict[str, Any]:
    """The bulk bar's fields as the API's `changes` (an empty field changes nothing)."""
    changes: dict[str, Any] = {}
    assignee = str(form.get("assignee_id") or "")
    if assignee == list_query.UNASSIGNED:
        changes["assignee_id"] = None
    elif assignee:
        changes["assignee_id"] = assignee
    for name in ("group_id", "status", "priority"):
        value = str(form.get(name) or "").strip()
        if value:
            changes[name] = value
    for name in ("add_tags", "remove_tags"):
        tags = [t.strip() for t in str(form.get(name) or "").split(",") if t.strip()]
        if tags:
            changes[name] = tags
    if form.get("close") == "on":
        changes["close"] = True
    return changes


def _bulk_request(form: Any) -> BulkRequest:
    ids = [int(v) for v in form.getlist("case_ids") if str(v).isdigit()]
    changes = _changes(form)
    if form.get("merge") == "on":
        if changes:
            raise ValueError("Merging takes no other change: leave the other fields empty.")
        if len(ids) < 2:
            raise ValueError("Select at least two cases to merge.")
        changes = {"merge_into": min(ids)}  # into the oldest: its number is the one people know
    if not ids:
        raise ValueError("Select the cases to change first.")
    if not changes:
        raise ValueError("Choose what to change: an assignee, a group, a status, a priority, tags, merge or close.")
    for name in ("assignee_id", "group_id"):
        if isinstance(changes.get(name), str):
            changes[name] = int(changes[name]) if changes[name].isdigit() else 0
    return BulkRequest(case_ids=ids, changes=BulkChanges.model_validate(changes))


@router.post("/cases/bulk")
async def bulk_change(request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Change the selected cases; a page with the result of each."""
    form = await checked_form(request)
    back = safe_next(str(form.get("back") or "/"))
    try:
        bulk = _bulk_request(form)
    except ValueError as exc:
        message = str(exc)
        if isinstance(exc, ValidationError):
            message = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors())
        return error_page(request, 422, "Nothing changed", message)
    try:
        answer = await case_bulk.apply(ctx, request=bulk, viewer=viewer_of(agent), actor=s.actor(agent))
    except errors.DomainError as exc:
        return error_page(request, errors.http_status(exc.code), "Nothing changed", exc.message)
    numbers = {int(k): v for k, v in zip(form.getlist("case_ids"), form.getlist("case_numbers"), strict=False)}
    context = {"answer": answer, "back": back, "numbers": numbers, "max_cases": MAX_CASES}
    return s.render(request, "case_bulk_result.html", context)
