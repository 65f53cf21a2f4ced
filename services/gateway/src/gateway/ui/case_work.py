"""Agent UI for the work on a case: the case page's tasks, time, attachments and links,
the forms that change them, and attachment downloads. Same use cases as the API (gateway.case_work)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.responses import Response

from contracts import case_work as cw
from contracts import errors
from gateway import case_work as work
from gateway.context import AppContext, get_context
from gateway.domain.disposition import content_disposition
from gateway.ui import session as s
from gateway.ui.routes import checked_form
from gateway.ui.session import PageId

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]


def _back(case_id: int, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}#{anchor}", status_code=303)


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def form_datetime(raw: str, field: str) -> datetime | None:
    """A browser's `datetime-local` value (no zone): the page shows times in UTC, so it is read as UTC."""
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise errors.ValidationFailed(
            message="the due date must be a date and time, e.g. 2031-05-04T09:30", details={field: raw}
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def task_assignee(raw: str) -> tuple[int | None, int | None]:
    """The task form's one assignee picker: `agent:<id>`, `group:<id>` or nothing (agent id, group id)."""
    kind, _, ident = raw.partition(":")
    if not raw:
        return None, None
    if kind not in {"agent", "group"} or not ident.isdigit() or len(ident) > 18:
        raise errors.ValidationFailed(message="pick an agent or a group as the assignee", details={"assignee": raw})
    return (int(ident), None) if kind == "agent" else (None, int(ident))


async def _attempt(request: Request, action: Callable[[], Awaitable[Any]], done: str) -> None:
    """Run a change; a refused one becomes an error flash on the case page (nothing was changed)."""
    try:
        await action()
    except ValidationError as exc:
        s.flash(request, "; ".join(str(e["msg"]) for e in exc.errors()), "error")
    except errors.DomainError as exc:
        if exc.code in {errors.NOT_FOUND, errors.INTERNAL_ERROR, errors.SERVICE_UNAVAILABLE}:
            raise
        s.flash(request, exc.message, "error")
    else:
        s.flash(request, done)


@router.get("/cases/{case_id}/attachments/{attachment_id}")
async def download(case_id: PageId, attachment_id: PageId, ctx: Ctx, agent: Agent) -> Response:
    meta, content = await work.get_attachment(cases=ctx.cases, case_id=case_id, attachment_id=attachment_id)
    headers = {
        "Content-Disposition": content_disposition(meta.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    return Response(content, media_type=meta.content_type, headers=headers)


@router.get("/cases/{case_id}/messages/{message_id}/attachments/{sha256}")
async def download_mail_attachment(
    case_id: PageId, message_id: PageId, sha256: str, ctx: Ctx, agent: Agent
) -> Response:
    ref, content = await work.get_mail_attachment(
        cases=ctx.cases, rpc=ctx.rpc, case_id=case_id, message_id=message_id, sha256=sha256
    )
    headers = {
        "Content-Disposition": content_disposition(ref.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
    return Response(content, media_type=ref.content_type, headers=headers)


@router.post("/cases/{case_id}/tasks")
async def add_task(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)

    async def action() -> Any:
        assignee_id, group_id = task_assignee(_field(form, "assignee"))
        data = cw.TaskCreate(
            title=_field(form, "title"),
            assignee_id=assignee_id,
            group_id=group_id,
            due_at=form_datetime(_field(form, "due_at"), "due_at"),
        )
        return await ctx.cases.add_task(case_id=case_id, data=data, actor=s.actor(agent))

    await _attempt(request, action, "Task added.")
    return _back(case_id, "tasks")


@router.post("/cases/{case_id}/tasks/{task_id}/done")
async def task_done(case_id: PageId, task_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    done = _field(form, "done") != "false"
    changes = cw.TaskUpdate(done=done)
    await _attempt(
        request,
        lambda: ctx.cases.update_task(case_id=case_id, task_id=task_id, changes=changes, actor=s.actor(agent)),
        "Task updated.",
    )
    return _back(case_id, "tasks")


@router.post("/cases/{case_id}/time")
async def log_time(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)

    async def action() -> Any:
        minutes = _field(form, "minutes")
        data = cw.TimeEntryCreate(
            minutes=int(minutes) if minutes.isdigit() else 0,
            billable=_field(form, "billable") == "on",
            note=_field(form, "note"),
        )
        return await ctx.cases.log_time(case_id=case_id, data=data, actor=s.actor(agent))

    await _attempt(request, action, "Time logged.")
    return _back(case_id, "time")


@router.post("/cases/{case_id}/timer/{action_name}")
async def timer(case_id: PageId, action_name: str, request: Request, ctx: Ctx, agent: Agent) -> Response:
    await checked_form(request)
    if action_name == "start":
        await _attempt(
            request,
            lambda: ctx.cases.start_timer(case_id=case_id, billable=True, actor=s.actor(agent)),
            "Timer started.",
        )
    else:
        await _attempt(request, lambda: ctx.cases.stop_timer(case_id=case_id, actor=s.actor(agent)), "Timer stopped.")
    return _back(case_id, "time")


@router.post("/cases/{case_id}/attachments")
async def upload(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        s.flash(request, "Choose a file first.", "error")
        return _back(case_id, "attachments")

    async def action() -> Any:
        limit = await work.attachment_limit(cases=ctx.cases)
        content = await file.read(limit + 1)
        if len(content) > limit:
            raise errors.DomainError(errors.PAYLOAD_TOO_LARGE, f"The file is larger than {limit // (1024 * 1024)} MB.")
        return await work.add_attachment(
            cases=ctx.cases,
            case_id=case_id,
            filename=file.filename or "attachment",
            content_type=file.content_type,
            content=content,
            message_id=None,
            actor=s.actor(agent),
        )

    await _attempt(request, action, "File attached.")
    return _back(case_id, "attachments")


@router.post("/cases/{case_id}/merge")
async def merge(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    duplicate = _field(form, "duplicate_id")

    async def action() -> Any:
        if not duplicate.isdigit():
            raise errors.ValidationFailed(message="Give the id of the duplicate case.")
        return await ctx.cases.merge_cases(case_id=case_id, duplicate_id=int(duplicate), actor=s.actor(agent))

    await _attempt(request, action, f"Case {duplicate} merged into this one.")
    return _back(case_id, "links")


@router.post("/cases/{case_id}/links")
async def link(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    other = _field(form, "other_case_id")

    async def action() -> Any:
        if not other.isdigit():
            raise errors.ValidationFailed(message="Give the id of the other case.")
        data = cw.LinkCreate(other_case_id=int(other), kind=cw.LinkKind(_field(form, "kind") or "related"))
        return await ctx.cases.link_cases(case_id=case_id, data=data, actor=s.actor(agent))

    await _attempt(request, action, "Cases linked.")
    return _back(case_id, "links")


# -- templates ---------------------------------------------------------------------------------


@router.get("/templates")
async def templates_page(request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Templates to start a case from, and the canned replies."""
    templates, replies = await ctx.cases.list_templates(), await ctx.cases.list_canned_replies()
    return s.render(request, "templates.html", {"templates": templates, "replies": replies})


@router.post("/templates/{template_id}/cases")
async def case_from_template(template_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    try:
        data = cw.CaseFromTemplate(requester_email=_field(form, "requester_email") or None)
        case = await ctx.cases.case_from_template(template_id=template_id, data=data, actor=s.actor(agent))
    except ValidationError as exc:
        s.flash(request, "; ".join(str(e["msg"]) for e in exc.errors()), "error")
        return RedirectResponse("/templates", status_code=303)
    except errors.DomainError as exc:
        if exc.code in {errors.INTERNAL_ERROR, errors.SERVICE_UNAVAILABLE}:
            raise
        s.flash(request, exc.message, "error")
        return RedirectResponse("/templates", status_code=303)
    s.flash(request, f"Case #{case.number} created from the template.")
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


@router.post("/cases/{case_id}/forwards")
async def forward(case_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)

    async def action() -> Any:
        recipients = [r.strip() for r in _field(form, "recipients").replace(";", ",").split(",") if r.strip()]
        data = cw.ForwardCreate.model_validate({"recipients": recipients, "body": _field(form, "body")})
        return await ctx.cases.forward_case(case_id=case_id, data=data, actor=s.actor(agent))

    await _attempt(request, action, "Forwarded.")
    return _back(case_id, "conversation")
