"""Routes of /api/v1 for the work on a case: forwards, tasks, attachments, time,
templates, canned replies, recurrences, signatures, merge and links. Parse, call a use case, answer."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from contracts import case_work as cw
from contracts import cases as c
from contracts import errors
from contracts.bounds import FlagText, LaxId
from contracts.search import Viewer
from gateway import admin_objects as objects
from gateway import case_work as work
from gateway.access import ApiPrincipal
from gateway.api import versioned as v
from gateway.api.changes import CONFLICT, ETAG_HEADER, AdminChange, AdminCreate, WriterChange, versioned
from gateway.api.deps import principal, require, writer
from gateway.api.routes import _COMMON, _ERROR, PREFIX
from gateway.api.search import viewer
from gateway.context import AppContext, get_context
from gateway.domain import api_keys
from gateway.domain.disposition import content_disposition

router = APIRouter(prefix=PREFIX, tags=["v1: case work"], responses=_COMMON, dependencies=[Depends(principal)])

CaseId = Annotated[LaxId, Path(description="The case id")]
Ctx = Annotated[AppContext, Depends(get_context)]
Reader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_READ))]
Writer = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_WRITE))]
_404: dict[int | str, dict[str, Any]] = {404: _ERROR}
# the gateway never buffers more than this from one upload, whatever the cases service allows
UPLOAD_READ_CHUNK = 256 * 1024


T = TypeVar("T")


class Items(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = None


class CloseResult(BaseModel):
    case: c.CaseRead
    closed_children: list[c.CaseRead]
    # children the caller may not see (restricted groups) are not closed; how many stay open (decision 0125)
    hidden_children_left_open: int = 0


async def _viewer(who: ApiPrincipal, ctx: AppContext) -> Viewer | None:
    """The caller as the cases service's `viewer` (restricted groups); None for an admin key (sees all)."""
    return None if who.is_admin else await viewer(who, ctx)


# -- conversation ---------------------------------------------------------------------------------


@router.post("/cases/{case_id}/forwards", status_code=201, response_model=c.MessageRead, responses=_404)
async def forward_case(case_id: CaseId, data: cw.ForwardCreate, ctx: Ctx, who: Writer) -> c.MessageRead:
    """Forward the case to external recipients: a side conversation (`kind: forward`), never sent to the requester."""
    return await ctx.cases.forward_case(case_id=case_id, data=data, actor=await writer(who, ctx))


# -- tasks ----------------------------------------------------------------------------------------


@router.get("/cases/{case_id}/tasks", response_model=Items[cw.TaskRead], responses=_404)
async def list_tasks(case_id: CaseId, ctx: Ctx, _who: Reader) -> Items[cw.TaskRead]:
    """Tasks and approvals of a case, oldest first."""
    return Items(items=await ctx.cases.list_tasks(case_id=case_id))


@router.post("/cases/{case_id}/tasks", status_code=201, response_model=cw.TaskRead, responses=_404)
async def add_task(case_id: CaseId, data: cw.TaskCreate, ctx: Ctx, who: Writer) -> cw.TaskRead:
    """Add a task (assignee agent or group, due date) or an approval task decided by `approver_contact_id`."""
    return await ctx.cases.add_task(case_id=case_id, data=data, actor=await writer(who, ctx))


@router.patch("/cases/{case_id}/tasks/{task_id}", response_model=cw.TaskRead, responses=_404)
async def update_task(
    case_id: CaseId, task_id: Annotated[LaxId, Path()], changes: cw.TaskUpdate, ctx: Ctx, who: Writer
) -> cw.TaskRead:
    """Change a task; `done: true` ticks it off (approval tasks are done by their contact's decision)."""
    actor = await writer(who, ctx)
    return await ctx.cases.update_task(case_id=case_id, task_id=task_id, changes=changes, actor=actor)


# -- attachments ------------------------------------------------------------------------------------


@router.get("/cases/{case_id}/attachments", response_model=Items[cw.AttachmentRead], responses=_404)
async def list_attachments(case_id: CaseId, ctx: Ctx, _who: Reader) -> Items[cw.AttachmentRead]:
    """Files on the case and its messages."""
    return Items(items=await ctx.cases.list_attachments(case_id=case_id))


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """The upload's bytes; 413 payload_too_large as soon as it passes `limit` (the rest is never read)."""
    chunks, size = [], 0
    while chunk := await upload.read(UPLOAD_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            message = f"the file is larger than {limit} bytes"
            raise errors.DomainError(errors.PAYLOAD_TOO_LARGE, message, {"limit": limit, "filename": upload.filename})
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/cases/{case_id}/attachments",
    status_code=201,
    response_model=cw.AttachmentRead,
    responses={**_404, 413: _ERROR},
)
async def add_attachment(
    case_id: CaseId,
    ctx: Ctx,
    who: Writer,
    file: Annotated[UploadFile, File(description="The file (multipart/form-data)")],
    message_id: Annotated[LaxId | None, Form(description="Attach to this message of the case")] = None,
) -> cw.AttachmentRead:
    """Upload a file to the case (or one of its messages); larger than the limit (default 5 MB) is 413."""
    actor = await writer(who, ctx)
    content = await _read_limited(file, await work.attachment_limit(cases=ctx.cases))
    return await work.add_attachment(
        cases=ctx.cases,
        case_id=case_id,
        filename=file.filename or "attachment",
        content_type=file.content_type,
        content=content,
        message_id=message_id,
        actor=actor,
    )


@router.get(
    "/cases/{case_id}/attachments/{attachment_id}",
    responses={**_404, 200: {"description": "The file", "content": {"application/octet-stream": {}}}},
    response_class=Response,
)
async def download_attachment(
    case_id: CaseId, attachment_id: Annotated[LaxId, Path()], ctx: Ctx, _who: Reader
) -> Response:
    """Download a file with its content type, always as an attachment (never rendered by the browser)."""
    meta, content = await work.get_attachment(cases=ctx.cases, case_id=case_id, attachment_id=attachment_id)
    headers = {
        "Content-Disposition": content_disposition(meta.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "ETag": f'"{meta.sha256}"',
    }
    return Response(content, media_type=meta.content_type, headers=headers)


@router.get(
    "/cases/{case_id}/messages/{message_id}/attachments/{sha256}",
    responses={**_404, 200: {"description": "The file", "content": {"application/octet-stream": {}}}},
    response_class=Response,
)
async def download_mail_attachment(
    case_id: CaseId,
    message_id: Annotated[LaxId, Path()],
    sha256: Annotated[str, Path(description="The attachment's SHA-256, as listed on the message")],
    ctx: Ctx,
    _who: Reader,
) -> Response:
    """Download a file that came by email with a message, always as an attachment (never rendered)."""
    ref, content = await work.get_mail_attachment(
        cases=ctx.cases, rpc=ctx.rpc, case_id=case_id, message_id=message_id, sha256=sha256
    )
    headers = {
        "Content-Disposition": content_disposition(ref.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "ETag": f'"{ref.sha256}"',
    }
    return Response(content, media_type=ref.content_type, headers=headers)


# -- time ---------------------------------------------------------------------------------------


@router.get("/cases/{case_id}/time", response_model=cw.TimeTotals, responses=_404)
async def case_time(case_id: CaseId, ctx: Ctx, _who: Reader) -> cw.TimeTotals:
    """Time entries of the case with totals (all, billable, per agent); running timers are listed, not counted."""
    return await ctx.cases.case_time(case_id=case_id)


@router.post("/cases/{case_id}/time", status_code=201, response_model=cw.TimeEntryRead, responses=_404)
async def log_time(case_id: CaseId, data: cw.TimeEntryCreate, ctx: Ctx, who: Writer) -> cw.TimeEntryRead:
    """Log minutes worked (for `agent_id`, or the key's agent)."""
    return await ctx.cases.log_time(case_id=case_id, data=data, actor=await writer(who, ctx))


@router.post("/cases/{case_id}/timer/start", status_code=201, response_model=cw.TimeEntryRead, responses=_404)
async def start_timer(
    case_id: CaseId, ctx: Ctx, who: Writer, billable: Annotated[FlagText, Query()] = True
) -> cw.TimeEntryRead:
    """Start the key's agent's timer on this case (one running timer per agent: else 422 invalid_transition)."""
    actor = await writer(who, ctx)
    return await ctx.cases.start_timer(case_id=case_id, billable=billable, actor=actor)


@router.post("/cases/{case_id}/timer/stop", response_model=cw.TimeEntryRead, responses=_404)
async def stop_timer(case_id: CaseId, ctx: Ctx, who: Writer) -> cw.TimeEntryRead:
    """Stop the key's agent's timer on this case; the elapsed minutes (rounded up) are logged."""
    return await ctx.cases.stop_timer(case_id=case_id, actor=await writer(who, ctx))


@router.get("/agents/{agent_id}/time", response_model=cw.AgentTime)
async def agent_time(agent_id: Annotated[LaxId, Path()], ctx: Ctx, who: Reader) -> cw.AgentTime:
    """An agent's logged time over the cases the caller may see (every case for an admin)."""
    return await ctx.cases.agent_time(agent_id=agent_id, viewer=await _viewer(who, ctx))


# -- templates, canned replies, recurrences ---------------------------------------------------------


@router.get("/templates", response_model=Items[v.TemplateItem])
async def list_templates(ctx: Ctx, _who: Reader) -> Items[v.TemplateItem]:
    """Case templates, by name."""
    return Items[v.TemplateItem].model_validate({"items": v.with_versions(await ctx.cases.list_templates())})


@router.get(
    "/templates/{template_id}", response_model=cw.TemplateRead, responses={**_404, 200: {"headers": ETAG_HEADER}}
)
async def get_template(template_id: Annotated[LaxId, Path()], ctx: Ctx, _who: Reader) -> Response:
    """One template; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.template(ctx, template_id))


@router.post("/templates", status_code=201, response_model=cw.TemplateRead)
async def create_template(data: cw.TemplateFields, change: AdminCreate) -> Response:
    """Create a template (admin)."""
    saved = await change(
        "template", None, "create", load_before=None, apply=lambda: change.ctx.cases.create_template(data=data)
    )
    return versioned(saved, 201)


@router.put("/templates/{template_id}", response_model=cw.TemplateRead, responses={**_404, **CONFLICT})
async def update_template(
    template_id: Annotated[LaxId, Path()], data: cw.TemplateFields, change: AdminChange
) -> Response:
    """Replace a template (admin); cases already made from it are not changed."""
    ctx = change.ctx
    saved = await change(
        "template",
        template_id,
        "update",
        load_before=lambda: objects.template(ctx, template_id),
        apply=lambda: ctx.cases.update_template(template_id=template_id, data=data),
    )
    return versioned(saved)


@router.post("/templates/{template_id}/cases", status_code=201, response_model=c.CaseRead, responses=_404)
async def case_from_template(
    template_id: Annotated[LaxId, Path()], data: cw.CaseFromTemplate, ctx: Ctx, who: Writer
) -> c.CaseRead:
    """Open a new case from a template (its title, description, priority, default status, group, assignee)."""
    actor = await writer(who, ctx)
    return await ctx.cases.case_from_template(template_id=template_id, data=data, actor=actor)


@router.post("/cases/{case_id}/template", status_code=201, response_model=cw.TemplateRead, responses=_404)
async def template_from_case(case_id: CaseId, data: cw.TemplateFromCase, change: AdminCreate) -> Response:
    """Save this case as a new template (admin)."""
    saved = await change(
        "template",
        None,
        "create",
        load_before=None,
        apply=lambda: change.ctx.cases.template_from_case(case_id=case_id, data=data),
    )
    return versioned(saved, 201)


@router.get("/canned-replies", response_model=Items[v.CannedReplyItem])
async def list_canned_replies(ctx: Ctx, _who: Reader) -> Items[v.CannedReplyItem]:
    """Canned replies (title and body), by title."""
    return Items[v.CannedReplyItem].model_validate({"items": v.with_versions(await ctx.cases.list_canned_replies())})


@router.post("/canned-replies", status_code=201, response_model=cw.CannedReplyRead)
async def create_canned_reply(data: cw.CannedReplyCreate, change: AdminCreate) -> Response:
    """Create a canned reply (admin)."""
    saved = await change(
        "canned_reply", None, "create", load_before=None, apply=lambda: change.ctx.cases.create_canned_reply(data=data)
    )
    return versioned(saved, 201)


@router.get(
    "/canned-replies/{reply_id}", response_model=cw.CannedReplyRead, responses={**_404, 200: {"headers": ETAG_HEADER}}
)
async def get_canned_reply(reply_id: Annotated[LaxId, Path()], ctx: Ctx, _who: Reader) -> Response:
    """One canned reply; its `ETag` is the version to send as `If-Match` when deleting it."""
    return versioned(await objects.canned_reply(ctx, reply_id))


@router.delete("/canned-replies/{reply_id}", status_code=204, responses={**_404, **CONFLICT})
async def delete_canned_reply(reply_id: Annotated[LaxId, Path()], change: AdminChange) -> Response:
    """Delete a canned reply (admin)."""
    ctx = change.ctx
    await change(
        "canned_reply",
        reply_id,
        "delete",
        load_before=lambda: objects.canned_reply(ctx, reply_id),
        apply=lambda: ctx.cases.delete_canned_reply(reply_id=reply_id),
    )
    return Response(status_code=204)


@router.get("/recurrences", response_model=Items[v.RecurrenceItem])
async def list_recurrences(ctx: Ctx, _who: Reader) -> Items[v.RecurrenceItem]:
    """Recurring cases: a template every N days, weeks or months, with the next due slot."""
    return Items[v.RecurrenceItem].model_validate({"items": v.with_versions(await ctx.cases.list_recurrences())})


@router.post("/recurrences", status_code=201, response_model=cw.RecurrenceRead, responses=_404)
async def create_recurrence(data: cw.RecurrenceCreate, change: AdminCreate) -> Response:
    """Put a template on a schedule (admin); the cases service creates each due case once."""
    saved = await change(
        "recurrence", None, "create", load_before=None, apply=lambda: change.ctx.cases.create_recurrence(data=data)
    )
    return versioned(saved, 201)


@router.get(
    "/recurrences/{recurrence_id}",
    response_model=cw.RecurrenceRead,
    responses={**_404, 200: {"headers": ETAG_HEADER}},
)
async def get_recurrence(recurrence_id: Annotated[LaxId, Path()], ctx: Ctx, _who: Reader) -> Response:
    """One schedule; its `ETag` (which leaves out `next_at`) is the version to send as `If-Match`."""
    return versioned(await objects.recurrence(ctx, recurrence_id))


@router.patch("/recurrences/{recurrence_id}", response_model=cw.RecurrenceRead, responses={**_404, **CONFLICT})
async def update_recurrence(
    recurrence_id: Annotated[LaxId, Path()], changes: cw.RecurrenceUpdate, change: AdminChange
) -> Response:
    """Pause (`active: false`) or resume a schedule (admin); slots missed while paused are not made up."""
    ctx = change.ctx
    saved = await change(
        "recurrence",
        recurrence_id,
        "update",
        load_before=lambda: objects.recurrence(ctx, recurrence_id),
        apply=lambda: ctx.cases.update_recurrence(recurrence_id=recurrence_id, changes=changes),
    )
    return versioned(saved)


# -- signatures ------------------------------------------------------------------------------------


@router.get("/signatures", response_model=Items[v.SignatureItem])
async def list_signatures(ctx: Ctx, _who: Reader) -> Items[v.SignatureItem]:
    """Every stored greeting/signature level."""
    return Items[v.SignatureItem].model_validate({"items": v.with_versions(await ctx.cases.list_signatures())})


@router.put("/signatures", response_model=cw.SignatureRead, responses=CONFLICT)
async def set_signature(data: cw.SignatureSet, change: WriterChange) -> Response:
    """Set one level: general (no agent, no mailbox), mailbox, personal (agent), personal per mailbox.

    Admins set any level; an agent's key sets only that agent's own levels. `If-Match` is the `version` of
    the level in `GET /signatures` (a level never set has none: send no If-Match).
    """
    ctx, who = change.ctx, change.who
    if not who.is_admin:
        actor = await writer(who, ctx)
        if data.agent_id is None or data.agent_id != actor.id:
            raise errors.DomainError(
                errors.FORBIDDEN, "you may set only your own signature", {"agent_id": data.agent_id}
            )
    saved = await change(
        "signature",
        objects.signature_id(data.agent_id, data.mailbox),
        "update",
        load_before=lambda: objects.signature(ctx, data.agent_id, data.mailbox),
        apply=lambda: ctx.cases.set_signature(data=data),
    )
    return versioned(saved)


@router.get("/signatures/resolve", response_model=cw.ResolvedSignature)
async def resolve_signature(
    ctx: Ctx,
    _who: Reader,
    agent: Annotated[LaxId, Query()],
    mailbox: Annotated[str | None, Query(max_length=320)] = None,
) -> cw.ResolvedSignature:
    """The greeting and signature an agent's mail from `mailbox` carries (most specific level wins, per part)."""
    return await ctx.cases.resolve_signature(agent_id=agent, mailbox=mailbox)


# -- merge and links -------------------------------------------------------------------------------


@router.post("/cases/{case_id}/merge", response_model=c.CaseRead, responses=_404)
async def merge_cases(case_id: CaseId, data: cw.MergeRequest, ctx: Ctx, who: Writer) -> c.CaseRead:
    """Merge `duplicate_id` into this case: its messages and attachments move here, it is closed and points here."""
    actor = await writer(who, ctx)
    return await ctx.cases.merge_cases(case_id=case_id, duplicate_id=data.duplicate_id, actor=actor)


@router.get("/cases/{case_id}/links", response_model=cw.CaseLinks, responses=_404)
async def case_links(case_id: CaseId, ctx: Ctx, who: Reader) -> cw.CaseLinks:
    """Related cases, master and children, and merges (cases the caller may not see are left out)."""
    return await ctx.cases.case_links(case_id=case_id, viewer=await _viewer(who, ctx))


@router.post("/cases/{case_id}/links", status_code=201, response_model=cw.LinkRead, responses=_404)
async def link_cases(case_id: CaseId, data: cw.LinkCreate, ctx: Ctx, who: Writer) -> cw.LinkRead:
    """`kind: related` links two cases both ways; `kind: parent` makes `other_case_id` this case's master."""
    return await ctx.cases.link_cases(case_id=case_id, data=data, actor=await writer(who, ctx))


@router.post("/cases/{case_id}/close-with-children", response_model=CloseResult, responses=_404)
async def close_with_children(case_id: CaseId, ctx: Ctx, who: Writer) -> Any:
    """Close this master case and every child of it the caller may see, in one step; children in restricted
    groups the caller may not see stay as they are and are only counted (`hidden_children_left_open`)."""
    actor = await writer(who, ctx)
    return await ctx.cases.close_with_children(case_id=case_id, actor=actor, viewer=await _viewer(who, ctx))
