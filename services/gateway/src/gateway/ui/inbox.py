"""The agent UI's case list as an inbox: views with counts in a sidebar, ranked search,
filtered lists, all scoped to the signed-in agent (restricted groups)."""

from __future__ import annotations

import asyncio
from typing import Any

from contracts import cases as c
from contracts import errors
from contracts import search as s
from gateway.context import AppContext
from gateway.ui import session
from gateway.ui.list_query import ListQuery


def viewer_of(agent: dict[str, Any]) -> s.Viewer:
    """The signed-in agent as the cases service's viewer."""
    return s.Viewer(agent_id=int(agent["id"]), is_admin=session.role(agent) is c.AgentRole.ADMIN)


def page_viewer(agent: dict[str, Any] | None) -> s.Viewer | None:
    """The viewer of a case page (None when nobody is signed in: the page redirects anyway)."""
    return viewer_of(agent) if agent else None


async def inbox(
    ctx: AppContext,
    agent: dict[str, Any],
    *,
    view: str,
    query: ListQuery,
    cursor: str | None,
    limit: int,
    saved: int | None = None,
) -> dict[str, Any]:
    """The template context: `views` and `saved` searches (sidebar, with counts), and either `hits`
    (a search) or `page` (a view, a saved search or a list narrowed and sorted by `query`)."""
    who = viewer_of(agent)
    views, folders, at_risk = await asyncio.gather(
        ctx.cases.list_views(viewer=who),
        ctx.cases.list_saved_searches(viewer=who, counts=True),
        ctx.cases.sla_at_risk_count(viewer=who),  # decision 0145: the folder's count
    )
    known = {v.key for v in views.items}
    chosen = view if view in known else ""
    folder = next((f for f in folders.items if f.id == saved), None)
    q = query.q
    hits: s.SearchPage | None = None
    if folder is not None:
        page = await ctx.cases.saved_search_cases(viewer=who, search_id=folder.id, cursor=cursor, limit=limit)
    elif q and not chosen and not query.narrowed():
        try:
            hits = await ctx.cases.search_cases(viewer=who, q=q, cursor=cursor, limit=limit)
        except errors.DomainError as exc:
            if exc.code != errors.INVALID_FILTER:
                raise
            hits = s.SearchPage(items=[])  # no word to look for: nothing matches
        page = c.CasePage(items=[h.case for h in hits.items], next=hits.next)
    elif chosen:
        page = await ctx.cases.view_cases(viewer=who, key=chosen, cursor=cursor, limit=limit)
    else:
        filters = query.case_filter(cursor=cursor, limit=limit)
        try:
            page = await ctx.cases.list_cases(filters=filters, viewer=who)
        except errors.DomainError as exc:
            if exc.code != errors.INVALID_FILTER:
                raise
            page = c.CasePage(items=[])
    snippets = {h.case.id: h.snippet for h in hits.items} if hits else {}
    return {
        "views": views,
        "view": chosen,
        "page": page,
        "snippets": snippets,
        "searching": hits is not None,
        "folders": folders.items,
        "folder": folder,
        "at_risk": at_risk,
        "can_edit_folder": folder is not None and (folder.owner_agent_id == who.agent_id or who.is_admin),
        "sort": query.sort.value if query.sort else "",
        "sla": query.sla,
    }


def search_filters(query: ListQuery) -> s.SearchFilters:
    """What the list shows now, as the filters of a saved search (the same fields as the API)."""
    return s.SearchFilters(**query.fields())


async def save_search(
    ctx: AppContext,
    agent: dict[str, Any],
    *,
    name: str,
    shared: bool,
    filters: s.SearchFilters,
    group_id: int | None = None,
) -> int:
    """Save the list as a folder of this agent (or shared with everyone, or with one group); its id."""
    data = s.SavedSearchWrite(name=name, shared=shared, shared_group_id=group_id, filters=filters)
    made: s.SavedSearchRead = await ctx.cases.create_saved_search(viewer=viewer_of(agent), data=data)
    return made.id


async def rename_search(ctx: AppContext, agent: dict[str, Any], search_id: int, name: str) -> s.SavedSearchRead:
    """Rename a folder (its owner, or an admin for a shared one); the cases service checks who may."""
    return await ctx.cases.update_saved_search(
        viewer=viewer_of(agent),
        search_id=search_id,
        changes=s.SavedSearchUpdate(name=name),
    )


async def share_search(
    ctx: AppContext, agent: dict[str, Any], search_id: int, *, shared: bool, group_id: int | None
) -> s.SavedSearchRead:
    """Share a folder with every agent or one group, or with nobody (same rule as renaming)."""
    return await ctx.cases.update_saved_search(
        viewer=viewer_of(agent),
        search_id=search_id,
        changes=s.SavedSearchUpdate(shared=shared, shared_group_id=group_id),
    )


async def delete_search(ctx: AppContext, agent: dict[str, Any], search_id: int) -> str:
    """Delete a folder (same rule as renaming); its name, for the message."""
    who = viewer_of(agent)
    found: s.SavedSearchRead = await ctx.cases.get_saved_search(viewer=who, search_id=search_id)
    await ctx.cases.delete_saved_search(viewer=who, search_id=search_id)
    return found.name


async def case_sla(ctx: AppContext, agent: dict[str, Any] | None, case_id: int) -> dict[str, Any]:
    """The case page's SLA panel: the explanation of `GET /api/v1/cases/{id}/sla` (None on error)."""
    if agent is None:
        return {"sla": None}
    try:
        return {"sla": await ctx.cases.get_case_sla(case_id=case_id, viewer=viewer_of(agent))}
    except errors.DomainError:
        return {"sla": None}
