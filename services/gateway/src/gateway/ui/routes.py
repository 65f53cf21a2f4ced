"""Pages of the agent UI. They call the same use cases as the API (gateway.handlers), never the API over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from chassis.web_security import CSRF_FIELD, csrf_token_ok
from contracts import cases as c
from contracts import errors
from gateway import case_work
from gateway.context import AppContext, get_context
from gateway.domain import roles
from gateway.ui import case_conflict, case_panel, composer, dashboard_data, inbox, list_query, mail_images
from gateway.ui import session as s
from gateway.ui.session import PageId

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]

STATUS_LABELS = {
    c.Status.NEW: "New",
    c.Status.OPEN: "Open",
    c.Status.WAITING: "Waiting on contact",
    c.Status.DORMANT: "Dormant",
    c.Status.RESOLVED: "Resolved",
    c.Status.CLOSED: "Closed",
}
PAGE_SIZE = 25
SLA_CHOICES = [
    ("at_risk", "At risk (warning or breached)"),
    ("breached", "Breached"),
    ("ok", "Running, on time"),
    ("paused", "Paused"),
    ("met", "Met"),
    ("none", "No SLA"),
]


class CsrfFailed(Exception):
    """A form came without the session's CSRF token."""


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matched the session's."""
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    if not csrf_token_ok(request.session, submitted if isinstance(submitted, str) else None):
        raise CsrfFailed()
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional_int(form: FormData, name: str) -> int | None:
    value = _text(form, name)
    return int(value) if value.isdigit() else None


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    return s.render(request, "error.html", {"title": title, "message": message}, status_code=status_code)


# -- case list and new case --------------------------------------------------------------------


@router.get("/")
async def case_list(
    request: Request,
    ctx: Ctx,
    agent: Agent,
    cursor: str | None = None,
    view: str = "",
    saved: str = "",
) -> Response:
    query = list_query.parse(request.query_params)
    # views and saved searches with counts, ranked search, the list's filters and sort (gateway.ui.inbox)
    found, options = await asyncio.gather(
        inbox.inbox(
            ctx,
            agent,
            view=view,
            query=query,
            cursor=cursor or None,
            limit=PAGE_SIZE,
            saved=int(saved) if saved.isdigit() else None,
        ),
        case_list_options(ctx),
    )
    status_value = query.statuses[0].value if len(query.statuses) == 1 else ""
    context = {
        **found,
        **options,
        "query": query,
        "status": status_value,
        "q": query.q,
        "cursor": cursor,
        "labels": STATUS_LABELS,
        "priorities": list(c.Priority),
        "sla_choices": SLA_CHOICES,
        "rendered_at": datetime.now(UTC).isoformat(),  # what the list's live bar counts changes since (0250)
    }
    return s.render(request, "case_list.html", context)


async def case_list_options(ctx: AppContext) -> dict[str, Any]:
    """The choices of the list's filter pickers and bulk bar (agents, groups, types, organisations)."""
    agents, groups, types, organisations, sources = await asyncio.gather(
        ctx.reference.agents(),
        ctx.reference.groups(),
        ctx.reference.case_types(),
        ctx.reference.organisations(),
        ctx.reference.case_sources(),
    )
    return {
        "agents": sorted(agents, key=lambda a: a.name.casefold()),
        "assignable": sorted((a for a in agents if a.role != c.AgentRole.LIGHT_AGENT), key=lambda a: a.name.casefold()),
        "groups": sorted(groups, key=lambda g: g.name.casefold()),
        "group_names": {g.id: g.name for g in groups},
        "types": [t for t in types if t.active],
        "organisations": sorted(organisations, key=lambda o: o.name.casefold()),
        "sources": sources,  # hidden ones too: cases keep them, and the list finds them
    }


async def _new_case_choices(ctx: AppContext) -> dict[str, Any]:
    groups, sources = await asyncio.gather(ctx.cases.list_groups(), ctx.cases.list_case_sources())
    return {"groups": groups, "priorities": list(c.Priority), "sources": [x for x in sources if x.active]}


@router.get("/cases/new")
async def new_case_page(request: Request, ctx: Ctx, agent: Agent) -> Response:
    return s.render(request, "case_new.html", {**await _new_case_choices(ctx), "values": {}})


@router.post("/cases/new")
async def new_case(request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    names = ("title", "description", "priority", "requester_email", "requester_name", "source", "group_id")
    values = {k: _text(form, k) for k in names}
    try:
        data = c.CaseCreate(
            title=values["title"],
            description=values["description"],
            priority=c.Priority(values["priority"] or "medium"),
            source=values["source"] or c.Source.AGENT.value,  # one of the admin's list (A7)
            requester_email=values["requester_email"] or None,
            requester_name=values["requester_name"],
            group_id=_optional_int(form, "group_id"),
        )
        case = await ctx.cases.create_case(data=data, actor=s.actor(agent))
    except (ValidationError, ValueError, errors.DomainError) as exc:
        if isinstance(exc, errors.DomainError) and exc.code in {errors.INTERNAL_ERROR, errors.SERVICE_UNAVAILABLE}:
            raise
        context = {**await _new_case_choices(ctx), "values": values, "error": _describe(exc)}
        return s.render(request, "case_new.html", context, status_code=422)
    s.flash(request, f"Case #{case.number} created.")
    return _see_other(f"/cases/{case.id}")


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, errors.DomainError):
        return exc.message
    return str(exc)


# -- case page ---------------------------------------------------------------------------------


async def _together(*reads: Awaitable[Any]) -> list[Any]:
    """Every read's answer, in order; when one fails the others are cancelled (and awaited) before it is raised."""
    tasks = [asyncio.ensure_future(r) for r in reads]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _case_page(
    request: Request,
    ctx: AppContext,
    case_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
    template: str = "case_detail.html",
    saved: str | None = None,
    conflict: case_conflict.Conflict | None = None,
) -> Response:
    agent = s.signed_in(request)
    viewer = inbox.page_viewer(agent)
    agent_id = int((agent or {}).get("id") or 0)
    # every read at once (decision 0210); the signature waits for the case (its mailbox), the images for the
    # messages (their senders)
    case_read = asyncio.ensure_future(ctx.cases.get_case(case_id=case_id, viewer=viewer))
    messages_read = asyncio.ensure_future(ctx.cases.list_messages(case_id=case_id, viewer=viewer))

    async def signature() -> Any:
        return await case_panel.signature(ctx.cases, agent_id, (await case_read).mailbox)

    async def images() -> Any:
        return await mail_images.page_images(request, ctx, await messages_read)  # whose remote images show (0245)

    async def solved() -> Any:  # resolved cases like this one, for the suggested solutions (0240)
        found = await ctx.cases.list_cases(filters=case_panel.solved_like(await case_read), viewer=viewer)
        return found.items

    async def inherited() -> Any:  # what "Default" of inform_contact means now (0239)
        return await case_panel.inherited_conversation(ctx.rpc, await case_read)

    try:
        (
            fetched,
            messages,
            agents,
            groups,
            work,
            sla,
            lists,
            signed,
            shown_images,
            solved_cases,
            inherited_inform,
        ) = await _together(
            case_read,
            messages_read,
            ctx.reference.agents(),
            ctx.reference.groups(),
            case_work.page_context(cases=ctx.cases, case_id=case_id, viewer=viewer),
            inbox.case_sla(ctx, agent, case_id),  # the SLA panel
            case_panel.panel_lists(ctx.cases, ctx.reference, viewer),  # side panel and composer (0231)
            signature(),
            images(),
            solved(),
            inherited(),
        )
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return error_page(request, 404, "Case not found", f"There is no case with id {case_id}.")
        raise
    context = {
        "case": fetched,
        "messages": messages,
        "agents": [a for a in agents if a.role is not c.AgentRole.LIGHT_AGENT],  # who may be assigned
        "groups": groups,
        "labels": STATUS_LABELS,
        "priorities": list(c.Priority),
        "error": error,
        "saved": saved,
        **work,
        **sla,
        **case_panel.panel_context(fetched, lists, signed, solved_cases),
        "images": shown_images,
        "inherited_inform": inherited_inform,
    }
    if conflict is not None:
        context["conflict"] = conflict
        context["conflict_mine"] = case_conflict.mine_shown(conflict, case_conflict.choices(context))
    response = s.render(request, template, context, status_code=status_code)
    mail_images.allow_remote_images(response, shown_images, messages)
    return response


@router.get("/cases/{case_id}")
async def case_page(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    return await _case_page(request, ctx, case_id)


@router.get("/cases/{case_id}/live")
async def case_live(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """What an open case page swaps in when its stream says the case changed (decision 0248): the conversation,
    head, side panel and SLA as they are now. The page keeps what the agent is editing."""
    return await _case_page(request, ctx, case_id, template="_case_live.html")


@router.post("/cases/{case_id}/typing", status_code=204)
async def case_typing(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """The composer's "I am typing" ping, shown to the case's other viewers (decision 0247)."""
    if not csrf_token_ok(request.session, request.headers.get("x-csrf-token")):
        raise CsrfFailed()
    await ctx.presence.typing(case_id=case_id, agent_id=int(agent["id"]))
    return Response(status_code=204)


CONFLICT_MESSAGE = (
    "Someone else changed this case while you were looking at it. "
    "Here is the current version; please check and save again."
)


@router.post("/cases/{case_id}")
async def change_case(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """The side panel: htmx posts it when one control changes (HX-Trigger-Name names it, decision 0231);
    without script it is posted whole. Either way only changed fields go, with the version read (If-Match)."""
    form = await checked_form(request)
    inline = request.headers.get("hx-request") == "true"
    only = request.headers.get("hx-trigger-name") if inline else None

    async def answer(
        error: str | None, status_code: int, saved: str | None = None, conflict: case_conflict.Conflict | None = None
    ) -> Response:
        if inline:
            return await _case_page(
                request,
                ctx,
                case_id,
                error=error,
                status_code=status_code,
                template="_case_fields.html",
                saved=saved,
                conflict=conflict,
            )
        return await _case_page(request, ctx, case_id, error=error, status_code=status_code)

    version = _optional_int(form, "version")
    try:
        current, statuses = await asyncio.gather(
            ctx.cases.get_case(case_id=case_id, viewer=inbox.page_viewer(s.signed_in(request))),
            ctx.reference.statuses(),
        )
        changes = case_panel.changes_from_form(form, current, statuses, only)
        if not changes:
            return await answer(None, 200) if inline else _see_other(f"/cases/{case_id}")
        update = c.CaseUpdate.model_validate(changes)
        await ctx.cases.update_case(case_id=case_id, changes=update, expected_version=version, actor=s.actor(agent))
    except ValidationError as exc:
        return await answer(_describe(exc), 422)
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return error_page(request, 404, "Case not found", f"There is no case with id {case_id}.")
        if exc.code == errors.VERSION_CONFLICT:
            # one control refused: the agent chooses between their value and the one set meanwhile (0249)
            choice = None
            if inline:
                history = await ctx.cases.get_case_history(case_id=case_id)
                latest = await ctx.cases.get_case(case_id=case_id, viewer=inbox.page_viewer(s.signed_in(request)))
                choice = case_conflict.conflict(form, only, latest, history)
            return await answer(None if choice else CONFLICT_MESSAGE, 409, conflict=choice)
        if exc.code in {errors.INTERNAL_ERROR, errors.SERVICE_UNAVAILABLE}:
            raise
        return await answer(_refusal(exc), 422)
    if inline:
        return await answer(None, 200, saved=f"Saved: {', '.join(_label(k) for k in changes if k != 'dormant')}.")
    s.flash(request, "Case updated.")
    return _see_other(f"/cases/{case_id}")


def _label(field: str) -> str:
    return field.removesuffix("_id").replace("_", " ")


def _refusal(exc: errors.DomainError) -> str:
    """A refused change, said for people: which required fields are empty, or the service's message."""
    if exc.code == errors.REQUIRED_FIELD_MISSING and isinstance(exc.details, dict):
        missing = [str(m).removeprefix("custom_fields.") for m in exc.details.get("missing", [])]
        if missing:
            return f"Not saved: {', '.join(_label(m) for m in missing)} is required and cannot be empty."
    return exc.message


@router.post("/cases/{case_id}/messages")
async def post_message(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """The composer: a reply or a note, with new files and files already on the case, and the status to set
    after sending ("send and set status"; decision 0232)."""
    form = await checked_form(request)
    visibility = c.Visibility.INTERNAL if _text(form, "visibility") == "internal" else c.Visibility.PUBLIC
    try:
        roles.refuse_public_reply(s.role(agent), visibility is c.Visibility.PUBLIC)
    except errors.DomainError as exc:
        raise s.RoleForbiddenPage(exc.message) from None
    body = str(form.get("body") or "").strip()
    error = None
    done = "Internal note added." if visibility is c.Visibility.INTERNAL else "Reply sent."
    if body:
        try:
            done = await composer.send(ctx, agent, case_id, form, body=body, visibility=visibility) or done
        except ValidationError as exc:
            error = _describe(exc)
        except composer.StatusNotSet as exc:
            error = str(exc)
        except errors.DomainError as exc:
            if exc.code in {errors.INTERNAL_ERROR, errors.SERVICE_UNAVAILABLE}:
                raise
            error = exc.message
    else:
        error = "Write something first."
    if request.headers.get("hx-request") == "true":
        # htmx swaps the conversation in place and refreshes the fields (status and version may have moved)
        return await _case_page(request, ctx, case_id, error=error, template="_message_posted.html")
    if error:
        s.flash(request, error, "error")
    else:
        s.flash(request, done)
    return _see_other(f"/cases/{case_id}#conversation")


# -- dashboard ---------------------------------------------------------------------------------


@router.get("/dashboard")
async def dashboard(request: Request, ctx: Ctx, agent: Agent) -> Response:
    board = await dashboard_data.load(
        rpc=ctx.rpc, cases=ctx.cases, viewer=inbox.viewer_of(agent), labels=dict(STATUS_LABELS), now=datetime.now(UTC)
    )
    report = board.report
    largest = max([*report.by_status.values(), *(g.count for g in report.by_group), 1])
    context = {"board": board, "report": report, "largest": largest, "labels": STATUS_LABELS}
    return s.render(request, "dashboard.html", context)
