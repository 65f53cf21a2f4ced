"""The "New email" page (A7): an agent starts a case by writing to a contact, from one of our mailboxes.

The same use case as `POST /api/v1/cases/email` (`gateway.outbound.start_email_case`, decision 0234)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from contracts import errors
from contracts.notifications import ConversationMode
from gateway import outbound
from gateway.context import AppContext, get_context
from gateway.ui import session as s
from gateway.ui.routes import checked_form

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]

FIELDS = ("to_email", "to_name", "subject", "body", "mailbox", "source", "group_id", "inform_contact")
# how the contact hears about the case (B16); "never" makes no sense for a case that starts with a mail
INFORM_CHOICES = [
    ("", "Default (the organisation's setting)"),
    (ConversationMode.FULL.value, "Email conversation"),
    (ConversationMode.LINK.value, "Link only"),
]


async def _choices(ctx: AppContext) -> dict[str, Any]:
    mailboxes, sources, groups, contacts = await asyncio.gather(
        outbound.sending_mailboxes(ctx),
        ctx.cases.list_case_sources(),
        ctx.cases.list_groups(),
        ctx.cases.list_contacts(limit=100),
    )
    return {
        "mailboxes": mailboxes,
        "sources": [src for src in sources if src.active],
        "groups": sorted(groups, key=lambda g: g.name.casefold()),
        "contacts": [(p.name, e) for p in contacts.items for e in p.emails],
        "inform_choices": INFORM_CHOICES,
    }


@router.get("/cases/new-email")
async def new_email_page(request: Request, ctx: Ctx, agent: Agent) -> Response:
    values = {"source": "email", "to_email": request.query_params.get("to", "")[:254]}
    return s.render(request, "case_new_email.html", {**await _choices(ctx), "values": values})


@router.post("/cases/new-email")
async def new_email(request: Request, ctx: Ctx, agent: Agent) -> Response:
    form = await checked_form(request)
    values = {k: _text(form, k) for k in FIELDS}
    try:
        data = outbound.EmailCaseCreate.model_validate(
            {**values, "group_id": values["group_id"] or None, "inform_contact": values["inform_contact"] or None}
        )
        uploads = [
            outbound.Upload(f.filename or "attachment", f.content_type, await f.read())
            for f in form.getlist("files")
            if isinstance(f, UploadFile) and f.filename
        ]
        case, _message = await outbound.start_email_case(ctx, actor=s.actor(agent), data=data, uploads=uploads)
    except outbound.MailNotSent as exc:
        s.flash(request, f"Case #{exc.case.number} was created, but the mail was not sent: {exc.reason}", "danger")
        return RedirectResponse(f"/cases/{exc.case.id}", status_code=303)
    except (ValidationError, errors.DomainError) as exc:
        if isinstance(exc, errors.DomainError) and exc.code in {errors.INTERNAL_ERROR, errors.SERVICE_UNAVAILABLE}:
            raise
        context = {**await _choices(ctx), "values": values, "error": _describe(exc)}
        return s.render(request, "case_new_email.html", context, status_code=422)
    s.flash(request, f"Case #{case.number} created; the mail to {data.to_email} is on its way.")
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


LABELS = {"to_email": "To", "subject": "Subject", "body": "Message", "mailbox": "From", "source": "Source"}


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{LABELS.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in exc.errors())
    return exc.message if isinstance(exc, errors.DomainError) else str(exc)
