"""Department forms (A3, D3): a published form page by page as plain POST forms, then sent as the contact's case.

Each page's answers are kept in the contact's draft whether or not they are valid, so an error shows every
answer as typed (files stay attached), and a conditional field appears once the answer it depends on is given.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from chassis.logging import get_logger
from contracts.bounds import LaxId
from contracts.forms import FormFieldType, FormRead
from portal import form_handlers
from portal.domain import form_answers as rules
from portal.form_handlers import Draft, NewFile
from portal.web.context import PortalContext, get_context
from portal.web.session import SignedInContact, SignInRequired, check_csrf, require_contact
from portal.web.templating import render

log = get_logger(__name__)
router = APIRouter()

Ctx = Annotated[PortalContext, Depends(get_context)]
Contact = Annotated[SignedInContact, Depends(require_contact)]
FormId = Annotated[LaxId, Path()]


def _full_contact(request: Request, contact: SignedInContact) -> SignedInContact:
    """A session opened by a case link may see its case only: a form needs a real sign-in."""
    if contact.case_scope is not None:
        request.session["next"] = request.url.path
        raise SignInRequired()
    return contact


@router.get("/forms/{form_id}")
async def form_page(
    request: Request, ctx: Ctx, contact: Contact, form_id: FormId, page: Annotated[int, Query(ge=0, le=100)] = -1
) -> Response:
    _full_contact(request, contact)
    form = await ctx.cases.get_published_form(form_id=form_id)
    draft = await asyncio.to_thread(
        form_handlers.open_draft, session_factory=ctx.session_factory, contact_id=contact.id, form=form
    )
    pages = rules.visible_pages(draft.form, draft.answers)
    index = page if page in pages else pages[0]
    return _render_page(request, draft, index)


@router.post("/forms/{form_id}")
async def post_page(request: Request, ctx: Ctx, contact: Contact, form_id: FormId) -> Response:
    _full_contact(request, contact)
    draft = await asyncio.to_thread(
        form_handlers.load_draft, session_factory=ctx.session_factory, contact_id=contact.id, form_id=form_id
    )
    if draft is None:  # sent already, or never opened: start again from the form's first page
        return RedirectResponse(f"/forms/{form_id}", status_code=303)
    form = draft.form
    # a body far over what the form's files may weigh is refused before it is read (a file a little too large
    # is read up to the limit and refused next to its field, keeping the page's answers)
    ceiling = rules.body_ceiling(form, ctx.settings.form_upload_max_bytes)
    if int(request.headers.get("content-length") or 0) > ceiling:
        message = f"The files were far larger than {ctx.settings.form_upload_max_bytes // (1024 * 1024)} MB each."
        page = {"title": "Files too large", "message": f"{message} Go back and attach smaller files."}
        return render(request, "error.html", page, status_code=413)
    data = await request.form(max_files=rules.MAX_FILES_PER_PAGE, max_fields=500)
    check_csrf(request, _one(data, "csrf_token"))
    try:
        index = int(_one(data, "page"))
    except ValueError:
        index = -1
    if not 0 <= index < len(form.pages):
        return RedirectResponse(f"/forms/{form_id}", status_code=303)
    go = _one(data, "go")
    answers, new_files, removed, file_errors = await _read_page(form, index, data, ctx.settings.form_upload_max_bytes)
    saved = await asyncio.to_thread(
        form_handlers.save_answers,
        session_factory=ctx.session_factory,
        contact_id=contact.id,
        form_id=form_id,
        answers=answers,
        new_files=new_files,
        removed_files=removed,
    )
    if saved is None:
        return RedirectResponse(f"/forms/{form_id}", status_code=303)
    pages = rules.visible_pages(form, saved.answers)
    if go == "back":
        earlier = [p for p in pages if p < index]
        return RedirectResponse(f"/forms/{form_id}?page={earlier[-1] if earlier else pages[0]}", status_code=303)
    errors = {**rules.page_errors(form, index, saved.answers, saved.files), **file_errors}
    shown_now = set(rules.visible_fields(form, saved.answers)) & set(rules.page_keys(form.pages[index]))
    if shown_now - set(_many(data, "shown")):
        # an answer on this page opened a question on it: ask it before going on (no JavaScript needed); the
        # new question gets no error message before the customer has seen it
        asked = {key: message for key, message in errors.items() if key in set(_many(data, "shown"))}
        return _render_page(request, saved, index, errors=asked, revealed=True, status_code=422 if asked else 200)
    if errors:
        return _render_page(request, saved, index, errors=errors, status_code=422)
    later = [p for p in pages if p > index]
    if later:
        return RedirectResponse(f"/forms/{form_id}?page={later[0]}", status_code=303)
    return await _send(request, ctx, contact, saved)


async def _send(request: Request, ctx: PortalContext, contact: SignedInContact, draft: Draft) -> Response:
    form = draft.form
    wrong = rules.first_page_with_errors(form, draft.answers, draft.files)
    if wrong is not None:
        return _render_page(request, draft, wrong[0], errors=wrong[1], status_code=422)
    if ctx.form_limiter is not None:
        decision = await ctx.form_limiter.hit("form-submit", str(contact.id))
        if not decision.allowed:
            minutes = -(-decision.retry_after_seconds // 60)
            message = (
                f"You have sent many forms in a short time. Your answers are kept: send again in {minutes} minutes."
            )
            return _render_page(
                request, draft, rules.visible_pages(form, draft.answers)[-1], limited=message, status_code=429
            )
    answers = rules.final_answers(form, draft.answers, draft.files)
    submission = await asyncio.to_thread(
        form_handlers.send_draft,
        session_factory=ctx.session_factory,
        contact_id=contact.id,
        form=form,
        answers=answers,
        now=datetime.now(UTC),
    )
    ctx.relay.wake()
    log.info("form_submitted", form_id=form.id, contact_id=contact.id, submission_id=submission)
    # post/redirect/get: a reload must not send the form twice
    return RedirectResponse(f"/forms/{form.id}/sent", status_code=303)


@router.get("/forms/{form_id}/sent")
async def form_sent(request: Request, contact: Contact, form_id: FormId) -> Response:
    _full_contact(request, contact)
    return render(request, "form_sent.html", {"form_id": form_id})


async def _read_page(
    form: FormRead, index: int, data: FormData, max_bytes: int
) -> tuple[dict[str, rules.Raw], dict[str, NewFile], set[str], dict[str, str]]:
    """This page's answers as typed, its new files, the files to drop, and why a file was refused."""
    answers: dict[str, rules.Raw] = {}
    new_files: dict[str, NewFile] = {}
    removed: set[str] = set()
    file_errors: dict[str, str] = {}
    for spec in form.pages[index].fields:
        name = f"f_{spec.key}"
        if spec.type == FormFieldType.FILE:
            upload = data.get(name)
            if isinstance(upload, UploadFile) and upload.filename:
                content = await upload.read(max_bytes + 1)
                why = rules.check_upload(
                    rules.Upload(upload.filename, upload.content_type or "", len(content)), max_bytes=max_bytes
                )
                if why:
                    file_errors[spec.key] = why
                else:
                    new_files[spec.key] = NewFile(upload.filename, upload.content_type or "", content)
            elif _one(data, f"remove_{spec.key}"):
                removed.add(spec.key)
        elif spec.type == FormFieldType.MULTI_SELECT:
            answers[spec.key] = [v[:200] for v in _many(data, name)][:200]
        elif spec.type == FormFieldType.CHECKBOX:
            answers[spec.key] = "true" if _one(data, name) else ""
        elif name in data:
            answers[spec.key] = _one(data, name)[: rules.MAX_RAW_CHARS]
    return answers, new_files, removed, file_errors


def _one(data: FormData, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _many(data: FormData, name: str) -> list[str]:
    return [v for v in data.getlist(name) if isinstance(v, str)]


def _render_page(
    request: Request,
    draft: Draft,
    index: int,
    *,
    errors: dict[str, str] | None = None,
    revealed: bool = False,
    limited: str | None = None,
    status_code: int = 200,
) -> Response:
    form = draft.form
    pages = rules.visible_pages(form, draft.answers)
    shown = rules.visible_fields(form, draft.answers)
    page = form.pages[index]
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "page_index": index,
        "step": pages.index(index) + 1 if index in pages else 1,
        "steps": len(pages),
        "is_last": not [p for p in pages if p > index],
        "is_first": not [p for p in pages if p < index],
        "fields": [f for f in page.fields if f.key in shown],
        "answers": draft.answers,
        "files": draft.files,
        "errors": errors or {},
        "revealed": revealed,
        "limited": limited,
        "accept": rules.ACCEPT,
        "max_mb": request.app.state.ctx.settings.form_upload_max_bytes // (1024 * 1024),
    }
    return render(request, "form_page.html", context, status_code=status_code)
