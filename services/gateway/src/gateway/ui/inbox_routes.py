"""Pages of the inbox that change something: saving the list shown as a folder, renaming, sharing and
deleting a folder (decisions 0145, 0244)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from contracts import errors
from gateway.context import AppContext, get_context
from gateway.ui import inbox, list_query
from gateway.ui import session as s
from gateway.ui.routes import checked_form, error_page
from gateway.ui.session import PageId

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/saved-searches")
async def save_search(request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Save the filters of the list (every filter it has, its search words and sort) as a folder; show it."""
    form = await checked_form(request)
    filters = inbox.search_filters(list_query.parse(form))
    name = _field(form, "name")[:200]
    if not name:
        return error_page(request, 422, "Name missing", "Give the saved search a name.")
    try:
        shared, group_id = _sharing(form)
        saved_id = await inbox.save_search(ctx, agent, name=name, shared=shared, group_id=group_id, filters=filters)
    except ValueError as exc:
        return error_page(request, 422, "Search not saved", str(exc))
    except errors.DomainError as exc:
        return error_page(request, 422, "Search not saved", exc.message)
    s.flash(request, f"Saved search “{name}” added to your folders.")
    return Response(status_code=303, headers={"location": f"/?saved={saved_id}"})


def _sharing(form: Any) -> tuple[bool, int | None]:
    """The "Shared with" choice: only me (""), every agent ("all") or one group ("group:<id>")."""
    choice = _field(form, "share")
    if choice == "all":
        return True, None
    if choice.startswith("group:") and choice.removeprefix("group:").isdigit():
        return False, int(choice.removeprefix("group:"))
    if choice:
        raise ValueError("Share with yourself, every agent or one group.")
    return False, None


def _folder_error(request: Request, exc: errors.DomainError, what: str) -> Response:
    return error_page(request, errors.HTTP_STATUS.get(exc.code, 400), f"Search not {what}", exc.message)


@router.post("/saved-searches/{search_id}/rename")
async def rename_search(search_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Give a folder a new name (its owner; an admin for a shared one)."""
    form = await checked_form(request)
    name = _field(form, "name")
    if not name or len(name) > 200:
        return error_page(request, 422, "Name missing", "Give the saved search a name of at most 200 characters.")
    try:
        await inbox.rename_search(ctx, agent, search_id, name)
    except errors.DomainError as exc:
        return _folder_error(request, exc, "renamed")
    s.flash(request, f"Saved search renamed to “{name}”.")
    return Response(status_code=303, headers={"location": f"/?saved={search_id}"})


@router.post("/saved-searches/{search_id}/delete")
async def delete_search(search_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Delete a folder (same rule as renaming); the cases it listed are untouched."""
    await checked_form(request)
    try:
        name = await inbox.delete_search(ctx, agent, search_id)
    except errors.DomainError as exc:
        return _folder_error(request, exc, "deleted")
    s.flash(request, f"Saved search “{name}” deleted.")
    return Response(status_code=303, headers={"location": "/"})


@router.post("/saved-searches/{search_id}/share")
async def share_search(search_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Share a folder with every agent or one group, or make it personal again (its owner, or an admin)."""
    form = await checked_form(request)
    try:
        shared, group_id = _sharing(form)
        changed = await inbox.share_search(ctx, agent, search_id, shared=shared, group_id=group_id)
    except ValueError as exc:
        return error_page(request, 422, "Search not shared", str(exc))
    except errors.DomainError as exc:
        return _folder_error(request, exc, "shared")
    whom = "every agent" if changed.shared else "a group" if changed.shared_group_id else "nobody else"
    s.flash(request, f"Saved search “{changed.name}” is now shared with {whom}.")
    return Response(status_code=303, headers={"location": f"/?saved={search_id}"})
