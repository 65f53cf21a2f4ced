"""Admin area of department forms (A3): a list, and a builder that is one plain form of pages and fields.

No JavaScript: "Add a field", "Add a page" and "Remove" post the whole builder and get it back with the change
(nothing is saved until "Save"); a refused definition comes back with the message next to the part it names
(`details.path` of the cases service's answer, or pydantic's `loc`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from contracts import errors
from contracts import forms as f
from contracts.bounds import LaxId
from gateway import admin_changes
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx, Section
from gateway.ui.routes import checked_form

BASE = "/admin/forms"
SINGULAR = "form"
FieldIndex = tuple[int, int]
_ACTION = re.compile(r"^(add_field|remove_field|remove_page|add_page)(?::(\d+))?(?::(\d+))?$")
TYPE_LABELS = (
    ("text", "Short text"),
    ("textarea", "Long text"),
    ("number", "Number"),
    ("date", "Date"),
    ("select", "Choose one"),
    ("multi-select", "Choose several"),
    ("checkbox", "Tick box"),
    ("email", "E-mail address"),
    ("phone", "Phone number"),
    ("file", "File"),
)


def _blank_field() -> dict[str, Any]:
    return {
        "key": "",
        "label": "",
        "type": "text",
        "required": False,
        "help": "",
        "options": [],
        "maps_to": None,
        "show_if": None,
    }


def _blank_page(number: int) -> dict[str, Any]:
    return {"title": f"Page {number}", "show_if": None, "fields": [_blank_field()]}


def state_of(form: f.FormRead | None) -> dict[str, Any]:
    """The builder's values: a stored form's definition, or a new form with one empty page."""
    if form is None:
        return {"name": "", "description": "", "group_id": None, "published": False, "pages": [_blank_page(1)]}
    return form.model_dump(mode="json", include={"name", "description", "group_id", "published", "pages"})


def _show_if(form: FormData, prefix: str) -> dict[str, Any] | None:
    key = common.text(form, f"{prefix}show_key")
    if not key:
        return None
    return {"key": key, "equals": common.text(form, f"{prefix}show_equals") or None}


def state_from(form: FormData) -> dict[str, Any]:
    """The builder as posted, field by field (kept as typed, so a refused save shows it back unchanged)."""
    pages: list[dict[str, Any]] = []
    for p in range(min(_count(form, "pages"), f.MAX_PAGES)):
        fields = []
        for i in range(min(_count(form, f"p{p}_fields"), f.MAX_FIELDS_PER_PAGE)):
            pre = f"p{p}_f{i}_"
            options = [o.strip() for o in common.text(form, pre + "options").splitlines() if o.strip()]
            fields.append(
                {
                    "key": common.text(form, pre + "key"),
                    "label": common.text(form, pre + "label"),
                    "type": common.text(form, pre + "type") or "text",
                    "required": form.get(pre + "required") is not None,
                    "help": common.text(form, pre + "help"),
                    "options": options,
                    "maps_to": common.text(form, pre + "maps_to") or None,
                    "show_if": _show_if(form, pre),
                }
            )
        pages.append({"title": common.text(form, f"p{p}_title"), "show_if": _show_if(form, f"p{p}_"), "fields": fields})
    group = common.text(form, "group_id")
    return {
        "name": common.text(form, "name"),
        "description": common.text(form, "description"),
        "group_id": int(group) if group.isdigit() else None,
        "published": form.get("published") is not None,
        "pages": pages,
    }


def _count(form: FormData, name: str) -> int:
    value = common.text(form, name)
    return int(value) if value.isdigit() else 0


def apply_action(state: dict[str, Any], action: str) -> bool:
    """Add or remove a page or field in the builder's state; False when `action` is not one of those."""
    match = _ACTION.match(action)
    if match is None:
        return False
    verb, a, b = match.group(1), match.group(2), match.group(3)
    pages: list[dict[str, Any]] = state["pages"]
    page = int(a) if a is not None else -1
    if verb == "add_page" and len(pages) < f.MAX_PAGES:
        pages.append(_blank_page(len(pages) + 1))
    elif verb == "remove_page" and 0 <= page < len(pages) and len(pages) > 1:
        pages.pop(page)
    elif verb == "add_field" and 0 <= page < len(pages) and len(pages[page]["fields"]) < f.MAX_FIELDS_PER_PAGE:
        pages[page]["fields"].append(_blank_field())
    elif verb == "remove_field" and 0 <= page < len(pages) and b is not None:
        fields = pages[page]["fields"]
        if 0 <= int(b) < len(fields) and len(fields) > 1:
            fields.pop(int(b))
    return True


def path_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """pydantic's `("pages", 0, "fields", 1, "key")` as the API's `pages[0].fields[1].key`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems_of(exc: Exception) -> dict[str, str]:
    """Messages by path; the builder shows each next to its part and all of them at the top."""
    if isinstance(exc, ValidationError):
        return {path_of(e["loc"]): e["msg"].removeprefix("Value error, ") for e in exc.errors()}
    if isinstance(exc, errors.DomainError):
        details = exc.details if isinstance(exc.details, dict) else {}
        return {str(details.get("path") or common.FORM_ERROR): exc.message}
    return {common.FORM_ERROR: str(exc)}


async def _targets(ctx: AppContext) -> list[tuple[str, str]]:
    custom = [
        (f"custom_fields.{c.key}", f"Custom field: {c.label}") for c in await ctx.cases.list_custom_fields() if c.used
    ]
    builtin = [
        ("title", "Case title"),
        ("description", "Case description"),
        ("priority", "Priority"),
        ("type", "Case type"),
    ]
    return builtin + custom


async def _page(
    request: Request,
    ctx: AppContext,
    *,
    form: f.FormRead | None,
    state: dict[str, Any],
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    groups = await ctx.cases.list_groups()
    context = {
        "form": form,
        "state": state,
        "version": common.version_of(form) if form is not None else "",
        "groups": groups,
        "types": TYPE_LABELS,
        "targets": await _targets(ctx),
        "problems": problems or {},
        "form_error": common.FORM_ERROR,
    }
    return common.render(request, "admin/form_builder.html", context, status_code=status_code)


async def list_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    forms = await ctx.cases.list_forms()
    groups = {g.id: g.name for g in await ctx.cases.list_groups()}
    return common.render(request, "admin/forms.html", {"forms": forms, "groups": groups})


async def new_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _page(request, ctx, form=None, state=state_of(None))


async def edit_page(form_id: Annotated[LaxId, Path()], request: Request, ctx: Ctx, _admin: Admin) -> Response:
    form = await _find(ctx, form_id)
    if form is None:
        return common.not_found(request, SINGULAR)
    return await _page(request, ctx, form=form, state=state_of(form))


async def _find(ctx: AppContext, form_id: int) -> f.FormRead | None:
    try:
        return await ctx.cases.get_form(form_id=form_id)
    except errors.NotFound:
        return None


async def create(request: Request, ctx: Ctx, admin: Admin) -> Response:
    return await _save(request, ctx, admin, None)


async def update(form_id: Annotated[LaxId, Path()], request: Request, ctx: Ctx, admin: Admin) -> Response:
    if await _find(ctx, form_id) is None:
        return common.not_found(request, SINGULAR)
    return await _save(request, ctx, admin, form_id)


async def _save(request: Request, ctx: AppContext, admin: dict[str, Any], form_id: int | None) -> Response:
    posted = await checked_form(request)
    state = state_from(posted)
    current = await _find(ctx, form_id) if form_id is not None else None
    if apply_action(state, common.text(posted, "action")):
        return await _page(request, ctx, form=current, state=state)
    try:
        data = f.FormWrite.model_validate(state)
        saved = await admin_changes.guarded_change(
            ctx,
            actor=admin_changes.ChangeActor.web(admin),
            object_type="form",
            object_id=form_id,
            action="update" if form_id is not None else "create",
            expected_version=(common.text(posted, "version") or None) if form_id is not None else None,
            load_before=(lambda: ctx.cases.get_form(form_id=form_id)) if form_id is not None else None,
            apply=lambda: ctx.cases.save_form(data=data, form_id=form_id),
        )
    except admin_changes.VersionConflict:
        problems = {common.FORM_ERROR: common.conflict_message(SINGULAR)}
        return await _page(request, ctx, form=current, state=state_of(current), problems=problems, status_code=409)
    except (ValidationError, errors.DomainError) as exc:
        status = errors.http_status(exc.code) if isinstance(exc, errors.DomainError) else 422
        return await _page(request, ctx, form=current, state=state, problems=problems_of(exc), status_code=status)
    s.flash(request, f"Form “{saved.name}” saved{' and published' if saved.published else ''}.", "ok")
    return RedirectResponse(f"{BASE}/{saved.id}", status_code=303)


async def remove(form_id: Annotated[LaxId, Path()], request: Request, ctx: Ctx, admin: Admin) -> Response:
    await checked_form(request)
    form = await _find(ctx, form_id)
    if form is None:
        return common.not_found(request, SINGULAR)
    await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(admin),
        object_type="form",
        object_id=form_id,
        action="delete",
        expected_version=None,
        load_before=lambda: ctx.cases.get_form(form_id=form_id),
        apply=lambda: ctx.cases.delete_form(form_id=form_id),
    )
    s.flash(request, f"Form “{form.name}” deleted.", "ok")
    return RedirectResponse(BASE, status_code=303)


def install(router: APIRouter) -> None:
    common.add_section(
        "Customers",
        Section(BASE, "Department forms", "Forms customers fill in the portal to open a case: pages, fields, rules."),
    )
    router.add_api_route(BASE, list_page, methods=["GET"])
    router.add_api_route(BASE, create, methods=["POST"])
    router.add_api_route(BASE + "/new", new_page, methods=["GET"])
    router.add_api_route(BASE + "/{form_id}", edit_page, methods=["GET"])
    router.add_api_route(BASE + "/{form_id}", update, methods=["POST"])
    router.add_api_route(BASE + "/{form_id}/delete", remove, methods=["POST"])
