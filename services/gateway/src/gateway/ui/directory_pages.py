"""The agent UI's contacts and organisations: find a contact, see and edit it with all its cases; an organisation
with its members and cases (decision 0241).

The cases service owns contacts and organisations; these pages change them the way the API does (version check
and audit entry, `gateway.admin_changes`) and list cases scoped to the signed-in agent, as
`GET /api/v1/contacts/{id}/cases` does. A light agent reads only: the role check refuses their writes before
any route runs (`gateway.domain.roles`), and the pages show no form to them.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from contracts import cases as c
from contracts import directory, errors
from gateway import admin_changes, admin_objects
from gateway.context import AppContext, get_context
from gateway.ui import directory_changes
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.crud import Field
from gateway.ui.inbox import viewer_of
from gateway.ui.routes import STATUS_LABELS, checked_form, error_page
from gateway.ui.session import PageId

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(get_context)]
Agent = Annotated[dict[str, Any], Depends(s.require_agent)]

PAGE = 25
MEMBERS = 100  # an organisation page lists this many members; the contacts search finds the rest


def _may_edit(agent: dict[str, Any]) -> bool:
    return s.role(agent) is not c.AgentRole.LIGHT_AGENT


def _cursor(request: Request) -> str | None:
    return request.query_params.get("cursor", "")[:500] or None


async def _cases(ctx: AppContext, agent: dict[str, Any], filters: c.CaseFilter) -> tuple[c.CasePage, bool]:
    """A page of cases as the agent may see them; a stale or edited cursor starts again (second value False)."""
    try:
        return await ctx.cases.list_cases(filters=filters, viewer=viewer_of(agent)), True
    except errors.DomainError as exc:
        if exc.code not in (errors.VALIDATION_ERROR, errors.INVALID_FILTER):
            raise
        first = filters.model_copy(update={"cursor": None})
        return await ctx.cases.list_cases(filters=first, viewer=viewer_of(agent)), False


def _paging(base: str, page: c.CasePage, cursor: str | None) -> dict[str, str | None]:
    return {
        "next_url": f"{base}?{urlencode({'cursor': page.next})}#cases" if page.next else None,
        "first_url": f"{base}#cases" if cursor else None,
    }


# -- contacts: search ------------------------------------------------------------------------------------


@router.get("/contacts")
async def contacts_page(request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Contacts by part of a name or address, newest first."""
    q = request.query_params.get("q", "").strip()[:200]
    cursor = _cursor(request)
    try:
        page = await ctx.cases.list_contacts(q=q or None, cursor=cursor, limit=PAGE)
    except errors.DomainError as exc:
        if exc.code not in (errors.VALIDATION_ERROR, errors.INVALID_FILTER):
            raise
        page = await ctx.cases.list_contacts(q=q or None, limit=PAGE)
        cursor = None
    keep = {"q": q} if q else {}
    context = {
        "nav": "contacts",
        "page": page,
        "q": q,
        "next_url": f"/contacts?{urlencode({**keep, 'cursor': page.next})}" if page.next else None,
        "first_url": f"/contacts?{urlencode(keep)}" if cursor else None,
    }
    return s.render(request, "contacts.html", context)


CHOICES = 20  # contacts a people picker offers for what was typed


@router.get("/contacts/choices")
async def contact_choices(request: Request, ctx: Ctx, agent: Agent) -> JSONResponse:
    """The case page's people pickers (requester, followers) search the directory as the agent types: the
    contacts whose name or address contains `q`, as `{"items": [{"id", "name", "email"}]}` (decision 0211)."""
    q = request.query_params.get("q", "").strip()[:200]
    if len(q) < 2:
        return JSONResponse({"items": []})
    try:
        page = await ctx.cases.list_contacts(q=q, limit=CHOICES)
    except errors.DomainError as exc:
        if exc.code not in (errors.VALIDATION_ERROR, errors.INVALID_FILTER):
            raise
        return JSONResponse({"items": []})
    items = [{"id": p.id, "name": p.name, "email": p.emails[0] if p.emails else None} for p in page.items]
    return JSONResponse({"items": items}, headers={"Cache-Control": "no-store"})


@router.get("/organisations/choices")
async def organisation_choices(request: Request, ctx: Ctx, agent: Agent) -> JSONResponse:
    """The organisation pickers (case page, list filter): the organisations whose name contains `q`, from the
    kept list (decision 0210), as `{"items": [{"id", "name"}]}`."""
    q = request.query_params.get("q", "").strip()[:200].casefold()
    if len(q) < 2:
        return JSONResponse({"items": []})
    found = [o for o in await ctx.reference.organisations() if q in o.name.casefold()]
    found.sort(key=lambda o: (not o.name.casefold().startswith(q), o.name.casefold()))
    items = [{"id": o.id, "name": o.name} for o in found[:CHOICES]]
    return JSONResponse({"items": items}, headers={"Cache-Control": "no-store"})


# -- a contact ---------------------------------------------------------------------------------------------


def _contact_values(contact: directory.ContactDetail) -> dict[str, Any]:
    return {
        "name": contact.name,
        "emails": "\n".join(contact.emails),
        "phone": contact.phone or "",
        "organisation_id": contact.organisation.id if contact.organisation else None,
        "preferred_channel": contact.preferred_channel.value,
        "approved": contact.approved,
    }


async def _contact_page(
    request: Request,
    ctx: AppContext,
    agent: dict[str, Any],
    contact: directory.ContactDetail,
    *,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    cursor = _cursor(request)
    filters = c.CaseFilter(requester_id=contact.id, cursor=cursor, limit=PAGE)
    (cases, kept), organisations = await asyncio.gather(_cases(ctx, agent, filters), ctx.cases.list_organisations())
    fields = [
        {"f": Field("name", "Name"), "options": []},
        {
            "f": Field("emails", "Email addresses", kind="textarea", required=True, help="One address per line."),
            "options": [],
        },
        {"f": Field("phone", "Phone", help="For SMS, in international form: +44 20 7946 0000."), "options": []},
        {
            "f": Field("organisation_id", "Organisation", kind="select"),
            "options": [(str(o.id), o.name) for o in sorted(organisations, key=lambda o: o.name.casefold())],
        },
        {
            "f": Field("preferred_channel", "Preferred channel", kind="select", required=True),
            "options": directory_changes.CHANNEL_LABELS,
        },
        {"f": Field("approved", "Approved (mail from this contact opens cases)", kind="checkbox"), "options": []},
    ]
    context = {
        "nav": "contacts",
        "contact": contact,
        "may_edit": _may_edit(agent),
        "version": common.version_of(contact),
        "fields": fields,
        "values": values if values is not None else _contact_values(contact),
        "errors": problems or {},
        "cases": cases,
        "labels": STATUS_LABELS,
        **_paging(f"/contacts/{contact.id}", cases, cursor if kept else None),
    }
    return s.render(request, "contact.html", context, status_code=status_code)


async def _contact(request: Request, ctx: AppContext, contact_id: int) -> directory.ContactDetail | Response:
    try:
        return await ctx.cases.get_contact(contact_id=contact_id)
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return error_page(request, 404, "Contact not found", f"There is no contact with id {contact_id}.")
        raise


@router.get("/contacts/{contact_id}")
async def contact_page(contact_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    found = await _contact(request, ctx, contact_id)
    if isinstance(found, Response):
        return found
    return await _contact_page(request, ctx, agent, found)


@router.post("/contacts/{contact_id}")
async def save_contact(contact_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Save the contact form; a bad field comes back next to that field with everything typed kept."""
    form = await checked_form(request)
    found = await _contact(request, ctx, contact_id)
    if isinstance(found, Response):
        return found
    values, shown = common.contact_form(form)
    try:
        data = directory.ContactWrite.model_validate(values)
        saved = await directory_changes.change_contact(
            ctx, agent, data, contact_id, common.text(form, "version") or None
        )
    except admin_changes.VersionConflict:
        current = await ctx.cases.get_contact(contact_id=contact_id)
        problems = {common.FORM_ERROR: _conflict("contact")}
        return await _contact_page(request, ctx, agent, current, problems=problems, status_code=409)
    except (ValidationError, errors.DomainError) as exc:
        problems = common.field_errors(exc, set(directory_changes.CONTACT_FIELDS))
        if isinstance(exc, errors.DomainError) and exc.code == errors.NOT_FOUND:
            problems = {"organisation_id": exc.message}  # the organisation went away after the form was made
        return await _contact_page(
            request, ctx, agent, found, values=shown, problems=problems, status_code=_status(exc)
        )
    s.flash(request, f"Contact “{saved.name or saved.emails[0]}” saved.", "ok")
    return RedirectResponse(f"/contacts/{contact_id}", status_code=303)


# -- an organisation ---------------------------------------------------------------------------------------


async def _organisation_page(
    request: Request,
    ctx: AppContext,
    agent: dict[str, Any],
    org: directory.OrganisationRead,
    *,
    name: str | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    cursor = _cursor(request)
    filters = c.CaseFilter(organisation_id=org.id, cursor=cursor, limit=PAGE)
    (cases, kept), members = await asyncio.gather(
        _cases(ctx, agent, filters), ctx.cases.list_contacts(organisation_id=org.id, limit=MEMBERS)
    )
    context = {
        "nav": "contacts",
        "org": org,
        "may_edit": _may_edit(agent),
        "version": common.version_of(org),
        "name": org.name if name is None else name,
        "errors": problems or {},
        "members": members,
        "cases": cases,
        "labels": STATUS_LABELS,
        **_paging(f"/organisations/{org.id}", cases, cursor if kept else None),
    }
    return s.render(request, "organisation.html", context, status_code=status_code)


async def _organisation(
    request: Request, ctx: AppContext, organisation_id: int
) -> directory.OrganisationRead | Response:
    try:
        return await admin_objects.organisation(ctx, organisation_id)
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return error_page(
                request, 404, "Organisation not found", f"There is no organisation with id {organisation_id}."
            )
        raise


@router.get("/organisations/{organisation_id}")
async def organisation_page(organisation_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    found = await _organisation(request, ctx, organisation_id)
    if isinstance(found, Response):
        return found
    return await _organisation_page(request, ctx, agent, found)


@router.post("/organisations/{organisation_id}")
async def rename_organisation(organisation_id: PageId, request: Request, ctx: Ctx, agent: Agent) -> Response:
    """Rename only: the mail domains and whether colleagues join publicly stay as they are (an admin's, in the
    console), so this form cannot change whose replies join the organisation's cases."""
    form = await checked_form(request)
    found = await _organisation(request, ctx, organisation_id)
    if isinstance(found, Response):
        return found
    name = common.text(form, "name")
    try:
        data = directory.OrganisationWrite(
            name=name,
            domains=found.domains,
            colleagues_join_publicly=found.colleagues_join_publicly,
            members_see_cases=found.members_see_cases,
        )
        saved = await directory_changes.change_organisation(
            ctx, agent, data, organisation_id, common.text(form, "version")
        )
    except admin_changes.VersionConflict:
        current = await admin_objects.organisation(ctx, organisation_id)
        problems = {common.FORM_ERROR: _conflict("organisation")}
        return await _organisation_page(request, ctx, agent, current, problems=problems, status_code=409)
    except (ValidationError, errors.DomainError) as exc:
        problems = common.field_errors(exc, {"name"})
        return await _organisation_page(
            request, ctx, agent, found, name=name, problems=problems, status_code=_status(exc)
        )
    s.flash(request, f"Organisation “{saved.name}” saved.", "ok")
    return RedirectResponse(f"/organisations/{organisation_id}", status_code=303)


def _conflict(singular: str) -> str:
    return (
        f"Someone changed this {singular} after you opened it. The form now shows their version; "
        "make your change again and save."
    )


def _status(exc: Exception) -> int:
    if isinstance(exc, errors.DomainError) and exc.code != errors.NOT_FOUND:
        return errors.http_status(exc.code)
    return 422
