"""The customer portal's branding in the console (D1): the default, and each organisation's through the same
form (`?organisation=<id>`); texts, colours and the logo upload. Saved as `gateway.api.portal_branding` does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from contracts import errors
from contracts.portal import LOGO_MAX_BYTES, BrandingRead, BrandingWrite
from gateway import admin_changes
from gateway import portal_branding as branding
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.routes import checked_form

BASE = "/admin/portal-branding"
TEXT_FIELDS = ("title", "welcome", "footer", "accent_colour", "header_colour")


def _organisation_id(request: Request) -> int | None:
    raw = request.query_params.get("organisation", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


def _values(read: BrandingRead) -> dict[str, Any]:
    return {name: getattr(read, name) or "" for name in TEXT_FIELDS}


def _form_values(form: FormData) -> dict[str, Any]:
    return {name: common.text(form, name) for name in TEXT_FIELDS}


def _logo_preview(read: BrandingRead) -> str | None:
    """A data: URL of the stored logo (the console's CSP allows data: images)."""
    if read.logo is None:
        return None
    return f"data:{read.logo.content_type};base64,{read.logo.data_base64}"


async def _page(
    request: Request,
    ctx: AppContext,
    organisation_id: int | None,
    *,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    try:
        current = await branding.load(ctx, organisation_id)
    except errors.NotFound:
        return common.not_found(request, "organisation")
    organisations = await ctx.cases.list_organisations()
    name = next((o.name for o in organisations if o.id == organisation_id), None)
    context = {
        "organisation_id": organisation_id,
        "organisation_name": name,
        "organisations": sorted(organisations, key=lambda o: o.name.casefold()),
        "values": values if values is not None else _values(current),
        "errors": problems or {},
        "version": common.version_of(branding.summary(current)),
        "logo": _logo_preview(current),
        "logo_type": current.logo.content_type if current.logo else None,
        "max_kb": LOGO_MAX_BYTES // 1024,
        "action": BASE + (f"?organisation={organisation_id}" if organisation_id else ""),
    }
    return common.render(request, "admin/portal_branding.html", context, status_code=status_code)


async def branding_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _page(request, ctx, _organisation_id(request))


async def save_branding(request: Request, ctx: Ctx, admin: Admin) -> Response:
    organisation_id = _organisation_id(request)
    form = await checked_form(request)
    values = _form_values(form)
    upload = form.get("logo")
    logo = None
    try:
        data = BrandingWrite.model_validate(values)
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(LOGO_MAX_BYTES + 1)
            if len(content) > LOGO_MAX_BYTES:
                raise errors.DomainError(
                    errors.PAYLOAD_TOO_LARGE,
                    f"The logo is too large: at most {LOGO_MAX_BYTES // 1024} KB.",
                    {"logo": 1},
                )
            logo = branding.logo_of(upload.content_type or "", content)
        await branding.change(
            ctx,
            admin_changes.ChangeActor.web(admin),
            organisation_id,
            data=data,
            logo=logo,
            remove_logo=form.get("remove_logo") is not None and logo is None,
            expected_version=common.text(form, "version") or None,
        )
    except (ValidationError, errors.DomainError) as exc:
        if isinstance(exc, errors.NotFound):
            return common.not_found(request, "organisation")
        status = errors.http_status(exc.code) if isinstance(exc, errors.DomainError) else 422
        if isinstance(exc, errors.DomainError) and exc.code == errors.VERSION_CONFLICT:
            problems = {common.FORM_ERROR: common.conflict_message("branding")}
        elif isinstance(exc, errors.DomainError) and isinstance(exc.details, dict) and "logo" in exc.details:
            problems = {"logo": exc.message}
        else:
            problems = common.field_errors(exc, set(TEXT_FIELDS))
        return await _page(request, ctx, organisation_id, values=values, problems=problems, status_code=status)
    s.flash(request, "Portal branding saved.", "ok")
    return RedirectResponse(BASE + (f"?organisation={organisation_id}" if organisation_id else ""), status_code=303)


def install(router: APIRouter) -> None:
    common.add_section(
        "Customers",
        common.Section(BASE, "Portal branding", "Logo, colours and texts of the customer portal, per organisation."),
    )
    router.add_api_route(BASE, branding_page, methods=["GET"])
    router.add_api_route(BASE, save_branding, methods=["POST"])
