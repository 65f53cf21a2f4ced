"""Organisations (with their customer mail overrides) and contacts: search, edit, approve the held ones (mail from
unknown senders waits for approval while `hold_unknown_senders` is on) and every case of a contact. The cases
service owns them; the pages call it as `gateway.api.case_model` and `gateway.api.customer_mail` do."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import case_config, directory, errors
from contracts import cases as c
from gateway import admin_changes, admin_objects
from gateway.context import AppContext
from gateway.ui import directory_changes
from gateway.ui import session as s
from gateway.ui.admin import common, customer_mail
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Field
from gateway.ui.inbox import viewer_of
from gateway.ui.routes import STATUS_LABELS, checked_form
from gateway.ui.session import PageId

ORGS = "/admin/organisations"
CONTACTS = "/admin/contacts"
PAGE = 25
ORG_FIELDS = [
    {"f": Field("name", "Name", required=True), "options": []},
    {
        "f": Field(
            "domains",
            "Mail domains",
            kind="textarea",
            help="One per line, e.g. example.com. Free-mail domains (gmail.com...) say nothing about an employer.",
        ),
        "options": [],
    },
    {
        "f": Field(
            "colleagues_join_publicly",
            "A colleague at these domains who replies on a member's case joins it publicly and follows it",
            kind="checkbox",
        ),
        "options": [],
    },
    {
        "f": Field(
            "members_see_cases",
            "Its contacts see all of the organisation's cases in the customer portal, not only their own",
            kind="checkbox",
        ),
        "options": [],
    },
]
ORG_FIELD_NAMES = {"name", "domains", "colleagues_join_publicly", "members_see_cases"}


def _org_form(form: FormData) -> dict[str, Any]:
    """The organisation form as the write model takes it (domains one per line, or separated by commas)."""
    lines = common.text(form, "domains").replace(",", "\n").split()
    return {
        "name": common.text(form, "name"),
        "domains": [d for d in (line.strip() for line in lines) if d],
        "colleagues_join_publicly": form.get("colleagues_join_publicly") is not None,
        "members_see_cases": form.get("members_see_cases") is not None,
    }


def _org_shown(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "domains": "\n".join(values.get("domains") or [])}


# -- the one place each kind of change is made (the audit log is wired here) ----------------------------------


async def _change_hold(ctx: AppContext, admin: dict[str, Any], hold: bool) -> case_config.CaseSettings:
    return await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(admin),
        object_type="case_settings",
        object_id=None,
        action="update",
        expected_version=None,
        load_before=lambda: admin_objects.case_settings(ctx),
        apply=lambda: ctx.cases.update_case_settings(changes=case_config.CaseSettings(hold_unknown_senders=hold)),
    )


# -- organisations ------------------------------------------------------------------------------------------


async def _organisation(ctx: AppContext, organisation_id: int) -> directory.OrganisationRead | None:
    return next((o for o in await ctx.cases.list_organisations() if o.id == organisation_id), None)


async def _organisations_page(
    request: Request,
    ctx: AppContext,
    *,
    values: dict[str, Any] | None = None,
    errors_: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    items = sorted(await ctx.cases.list_organisations(), key=lambda o: o.name.lower())
    context = {"items": items, "fields": ORG_FIELDS, "values": values or {}, "errors": errors_ or {}}
    return common.render(request, "admin/organisations.html", context, status_code=status_code)


async def organisations_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _organisations_page(request, ctx)


async def create_organisation(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    values = _org_form(form)
    try:
        created = await directory_changes.change_organisation(
            ctx, admin, directory.OrganisationWrite.model_validate(values), None, ""
        )
    except (ValidationError, errors.DomainError) as exc:
        problems = common.field_errors(exc, ORG_FIELD_NAMES)
        shown = _org_shown(values)
        return await _organisations_page(request, ctx, values=shown, errors_=problems, status_code=_status(exc))
    s.flash(request, f"Organisation “{created.name}” added.", "ok")
    return RedirectResponse(f"{ORGS}/{created.id}", status_code=303)


async def _organisation_page(
    request: Request,
    ctx: AppContext,
    org: directory.OrganisationRead,
    *,
    name: dict[str, Any] | None = None,
    name_errors: dict[str, str] | None = None,
    mail_values: dict[str, Any] | None = None,
    mail_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    settings = await customer_mail.load(ctx, org.id)
    contacts = await ctx.cases.list_contacts(organisation_id=org.id, limit=PAGE)
    context = {
        "org": org,
        "version": common.version_of(org),
        "fields": ORG_FIELDS,
        "values": _org_shown(
            name
            if name is not None
            else {
                "name": org.name,
                "domains": org.domains,
                "colleagues_join_publicly": org.colleagues_join_publicly,
                "members_see_cases": org.members_see_cases,
            }
        ),
        "errors": name_errors or {},
        "contacts": contacts,
        # the customer mail form (admin/_customer_mail_form.html)
        "mail": {
            "action": f"{ORGS}/{org.id}/customer-mail",
            "title": "Customer mail for this organisation",
            "fields": customer_mail.fields("the workspace"),
            "values": mail_values if mail_values is not None else customer_mail.stored_values(settings),
            "errors": mail_errors or {},
            "version": customer_mail.version(settings),
            "settings": settings,
            "labels": customer_mail.CONVERSATION_LABELS,
        },
    }
    return common.render(request, "admin/organisation.html", context, status_code=status_code)


async def organisation_page(organisation_id: PageId, request: Request, ctx: Ctx, _admin: Admin) -> Response:
    org = await _organisation(ctx, organisation_id)
    if org is None:
        return common.not_found(request, "organisation")
    return await _organisation_page(request, ctx, org)


async def rename_organisation(organisation_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    org = await _organisation(ctx, organisation_id)
    if org is None:
        return common.not_found(request, "organisation")
    values = _org_form(form)
    try:
        data = directory.OrganisationWrite.model_validate(values)
        saved = await directory_changes.change_organisation(
            ctx, admin, data, organisation_id, common.text(form, "version")
        )
    except admin_changes.VersionConflict:
        current = await _organisation(ctx, organisation_id)
        if current is None:
            return common.not_found(request, "organisation")
        problems = {common.FORM_ERROR: common.conflict_message("organisation")}
        return await _organisation_page(request, ctx, current, name_errors=problems, status_code=409)
    except (ValidationError, errors.DomainError) as exc:
        problems = common.field_errors(exc, ORG_FIELD_NAMES)
        return await _organisation_page(request, ctx, org, name=values, name_errors=problems, status_code=_status(exc))
    s.flash(request, f"Organisation “{saved.name}” saved.", "ok")
    return RedirectResponse(f"{ORGS}/{organisation_id}", status_code=303)


async def save_organisation_mail(organisation_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    org = await _organisation(ctx, organisation_id)
    if org is None:
        return common.not_found(request, "organisation")
    saved, values, problems, status = await customer_mail.save(ctx, admin, organisation_id, form)
    if saved is None:
        return await _organisation_page(request, ctx, org, mail_values=values, mail_errors=problems, status_code=status)
    s.flash(request, f"Customer mail of “{org.name}” saved.", "ok")
    return RedirectResponse(f"{ORGS}/{organisation_id}", status_code=303)


# -- contacts -----------------------------------------------------------------------------------------------


def _filters(request: Request) -> dict[str, Any]:
    """The list's filters from the query (anything unreadable is ignored, as the search box would be)."""
    query = request.query_params
    held = query.get("show", "")
    org = query.get("organisation", "")
    return {
        "q": query.get("q", "").strip()[:200],
        "show": held if held in ("held", "approved") else "",
        "organisation": int(org) if org.isdigit() and len(org) < 10 else None,
        "cursor": query.get("cursor", "")[:500] or None,
    }


async def contacts_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    f = _filters(request)
    approved = {"held": False, "approved": True}.get(f["show"])
    try:
        page = await ctx.cases.list_contacts(
            q=f["q"] or None, approved=approved, organisation_id=f["organisation"], cursor=f["cursor"], limit=PAGE
        )
    except errors.DomainError as exc:
        if exc.code not in (errors.VALIDATION_ERROR, errors.INVALID_FILTER):
            raise
        page = await ctx.cases.list_contacts(q=f["q"] or None, approved=approved, organisation_id=f["organisation"])
        f["cursor"] = None  # a stale or edited cursor starts the list again
    organisations = sorted(await ctx.cases.list_organisations(), key=lambda o: o.name.lower())
    settings = await ctx.cases.get_case_settings()
    keep = {k: v for k, v in f.items() if k != "cursor" and v}
    context = {
        "page": page,
        "filters": f,
        "organisations": organisations,
        "hold": settings.hold_unknown_senders,
        "next_url": f"{CONTACTS}?{urlencode({**keep, 'cursor': page.next})}" if page.next else None,
        "first_url": f"{CONTACTS}?{urlencode(keep)}" if f["cursor"] else None,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    return common.render(request, "admin/contacts.html", context)


def _back(form: FormData, default: str) -> str:
    """Where a form came from, when it is one of the contact pages (never an address elsewhere)."""
    back = common.text(form, "next")
    return back if back.startswith((CONTACTS + "?", CONTACTS + "/")) or back == CONTACTS else default


async def approve_contact(contact_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    try:
        contact = await ctx.cases.get_contact(contact_id=contact_id)
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return common.not_found(request, "contact")
        raise
    if contact.approved:
        s.flash(request, f"{contact.name or contact.emails[0]} was already approved.", "info")
    else:
        await directory_changes.change_contact(
            ctx, admin, directory.ContactWrite(approved=True), contact_id, None, action="approve"
        )
        s.flash(request, f"{contact.name or contact.emails[0]} approved: their held cases are released.", "ok")
    return RedirectResponse(_back(form, CONTACTS + "?show=held"), status_code=303)


async def set_hold(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    hold = common.text(form, "hold") == "on"
    await _change_hold(ctx, admin, hold)
    s.flash(
        request,
        "Mail from unknown senders is now held for approval." if hold else "Unknown senders are no longer held.",
        "ok",
    )
    return RedirectResponse(_back(form, CONTACTS), status_code=303)


async def _contact_page(
    request: Request,
    ctx: AppContext,
    agent: dict[str, Any],
    contact: directory.ContactDetail,
    *,
    values: dict[str, Any] | None = None,
    errors_: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    cursor = request.query_params.get("cursor", "")[:500] or None
    filters = c.CaseFilter(requester_id=contact.id, cursor=cursor, limit=PAGE)
    try:
        cases = await ctx.cases.list_cases(filters=filters, viewer=viewer_of(agent))
    except errors.DomainError:
        cases = await ctx.cases.list_cases(filters=filters.model_copy(update={"cursor": None}), viewer=viewer_of(agent))
        cursor = None
    organisations = sorted(await ctx.cases.list_organisations(), key=lambda o: o.name.lower())
    fields = [
        {"f": Field("name", "Name"), "options": []},
        {
            "f": Field("emails", "Email addresses", kind="textarea", required=True, help="One address per line."),
            "options": [],
        },
        {"f": Field("phone", "Phone", help="For SMS, in international form: +44 20 7946 0000."), "options": []},
        {
            "f": Field("organisation_id", "Organisation", kind="select"),
            "options": [(str(o.id), o.name) for o in organisations],
        },
        {
            "f": Field("preferred_channel", "Preferred channel", kind="select", required=True),
            "options": directory_changes.CHANNEL_LABELS,
        },
        {
            "f": Field("approved", "Approved (mail from this contact opens cases)", kind="checkbox"),
            "options": [],
        },
    ]
    context = {
        "contact": contact,
        "version": common.version_of(contact),
        "fields": fields,
        "values": values if values is not None else _contact_values(contact),
        "errors": errors_ or {},
        "cases": cases,
        "labels": STATUS_LABELS,
        "next_url": f"{CONTACTS}/{contact.id}?{urlencode({'cursor': cases.next})}#cases" if cases.next else None,
        "first_url": f"{CONTACTS}/{contact.id}#cases" if cursor else None,
    }
    return common.render(request, "admin/contact.html", context, status_code=status_code)


def _contact_values(contact: directory.ContactDetail) -> dict[str, Any]:
    return {
        "name": contact.name,
        "emails": "\n".join(contact.emails),
        "phone": contact.phone or "",
        "organisation_id": contact.organisation.id if contact.organisation else None,
        "preferred_channel": contact.preferred_channel.value,
        "approved": contact.approved,
    }


async def contact_page(contact_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
    try:
        contact = await ctx.cases.get_contact(contact_id=contact_id)
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return common.not_found(request, "contact")
        raise
    return await _contact_page(request, ctx, admin, contact)


async def save_contact(contact_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    try:
        contact = await ctx.cases.get_contact(contact_id=contact_id)
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return common.not_found(request, "contact")
        raise
    values, shown = common.contact_form(form)
    try:
        data = directory.ContactWrite.model_validate(values)
        saved = await directory_changes.change_contact(
            ctx, admin, data, contact_id, common.text(form, "version") or None
        )
    except admin_changes.VersionConflict:
        current = await ctx.cases.get_contact(contact_id=contact_id)
        problems = {common.FORM_ERROR: common.conflict_message("contact")}
        return await _contact_page(request, ctx, admin, current, errors_=problems, status_code=409)
    except (ValidationError, errors.DomainError) as exc:
        problems = common.field_errors(exc, set(directory_changes.CONTACT_FIELDS))
        if isinstance(exc, errors.DomainError) and exc.code == errors.NOT_FOUND:
            problems = {"organisation_id": exc.message}  # the organisation went away after the form was made
        return await _contact_page(
            request, ctx, admin, contact, values=shown, errors_=problems, status_code=_status(exc)
        )
    s.flash(request, f"Contact “{saved.name or saved.emails[0]}” saved.", "ok")
    return RedirectResponse(f"{CONTACTS}/{contact_id}", status_code=303)


def _status(exc: Exception) -> int:
    if isinstance(exc, errors.DomainError) and exc.code != errors.NOT_FOUND:
        return errors.http_status(exc.code)
    return 422


def install(router: APIRouter) -> None:
    common.add_section(
        "Customers",
        common.Section(ORGS, "Organisations", "Customer companies and what their people get by email."),
    )
    common.add_section(
        "Customers",
        common.Section(CONTACTS, "Contacts", "Find and edit contacts, approve held senders, see all their cases."),
    )
    router.add_api_route(ORGS, organisations_page, methods=["GET"])
    router.add_api_route(ORGS, create_organisation, methods=["POST"])
    router.add_api_route(ORGS + "/{organisation_id}", organisation_page, methods=["GET"])
    router.add_api_route(ORGS + "/{organisation_id}", rename_organisation, methods=["POST"])
    router.add_api_route(ORGS + "/{organisation_id}/customer-mail", save_organisation_mail, methods=["POST"])
    router.add_api_route(CONTACTS, contacts_page, methods=["GET"])
    router.add_api_route(CONTACTS + "/hold", set_hold, methods=["POST"])
    router.add_api_route(CONTACTS + "/{contact_id}", contact_page, methods=["GET"])
    router.add_api_route(CONTACTS + "/{contact_id}", save_contact, methods=["POST"])
    router.add_api_route(CONTACTS + "/{contact_id}/approve", approve_contact, methods=["POST"])
