"""List, create and edit pages for an admin area described by an `Area`: its fields, its list's columns, and
the RPCs that list and save it. Saving checks the version the form was made from, so a change another
admin made in the meantime is shown as a conflict rather than overwritten."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import errors
from gateway import admin_changes
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.routes import checked_form
from gateway.ui.session import PageId

Options = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Field:
    """One form field. kind: text, email, textarea, number, select, multiselect, checkbox, date, datetime."""

    name: str
    label: str
    kind: str = "text"
    options: Options | Callable[[AppContext], Awaitable[Options]] = ()
    help: str = ""
    required: bool = False
    on_create_only: bool = False


@dataclass(frozen=True)
class Area:
    """An admin area whose objects are listed, created and edited with one form."""

    path: str  # under /admin
    title: str  # plural, for the list page
    singular: str
    object_type: str  # in the audit log, as the API names it (case_status, sla_policy...)
    description: str
    group: str  # heading on the index
    fields: tuple[Field, ...]
    columns: tuple[tuple[str, str], ...]  # (attribute, heading) of the list
    write_model: type[BaseModel]
    list_items: Callable[[AppContext], Awaitable[Sequence[Any]]]
    save: Callable[[AppContext, BaseModel, int | None], Awaitable[Any]]
    can_create: bool = True
    # False where the service has no update: the item's page shows its values and (if any) its delete button
    can_edit: bool = True
    delete: Callable[[AppContext, int], Awaitable[None]] | None = None
    # values a stored object gives the edit form where its attribute names differ from the fields'
    to_form: Callable[[Any], dict[str, Any]] | None = None
    # how the list shows a column's stored values (an enum's value -> its label), per attribute
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    # what the create form starts with (a checkbox that should start ticked, a number with a usual value)
    defaults: dict[str, Any] = field(default_factory=dict)


def form_values(area: Area, form: FormData) -> dict[str, Any]:
    """What the posted form says, typed as the write model expects (no coercion of its own beyond empty = None)."""
    values: dict[str, Any] = {}
    for f in area.fields:
        if f.kind == "checkbox":
            values[f.name] = form.get(f.name) is not None
        elif f.kind == "multiselect":
            values[f.name] = common.texts(form, f.name)
        else:
            raw = common.text(form, f.name)
            if f.kind == "number":
                values[f.name] = int(raw) if raw.lstrip("-").isdigit() else (raw or None)
            elif f.kind in ("select", "date", "datetime") and not raw:
                values[f.name] = None
            else:
                values[f.name] = raw
    return values


def stored_values(area: Area, item: Any) -> dict[str, Any]:
    if area.to_form is not None:
        return area.to_form(item)
    data = item.model_dump(mode="json") if isinstance(item, BaseModel) else dict(item)
    return {f.name: data.get(f.name) for f in area.fields}


async def resolved_fields(area: Area, ctx: AppContext) -> list[dict[str, Any]]:
    """The fields with their options (some come from a service: groups, calendars...)."""
    out = []
    for f in area.fields:
        options = await f.options(ctx) if callable(f.options) else f.options
        out.append({"f": f, "options": [(str(v), label) for v, label in options]})
    return out


async def find(area: Area, ctx: AppContext, item_id: int) -> Any | None:
    for item in await area.list_items(ctx):
        if getattr(item, "id", None) == item_id:
            return item
    return None


async def _found(area: Area, ctx: AppContext, item_id: int) -> Any:
    """The object as it is now (404 `not_found` when it went away): the audit's `before`."""
    item = await find(area, ctx, item_id)
    if item is None:
        raise errors.NotFound(message=f"no {area.singular} {item_id}", details={"id": item_id})
    return item


def mount(router: APIRouter, area: Area) -> None:
    """Add the area's pages to the console's router and its entry to the index."""
    base = f"/admin/{area.path}"
    common.add_section(area.group, common.Section(base, area.title, area.description))

    async def page(
        request: Request,
        ctx: AppContext,
        *,
        values: dict[str, Any] | None = None,
        errors_: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        items = await area.list_items(ctx)
        context = {
            "area": area,
            "items": items,
            "fields": await resolved_fields(area, ctx),
            "values": values if values is not None else dict(area.defaults),
            "errors": errors_ or {},
        }
        return common.render(request, "admin/area.html", context, status_code=status_code)

    async def edit_page(
        request: Request,
        ctx: AppContext,
        item: Any,
        *,
        values: dict[str, Any] | None = None,
        errors_: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        context = {
            "area": area,
            "item": item,
            "version": common.version_of(item),
            "fields": await resolved_fields(area, ctx),
            "values": values if values is not None else stored_values(area, item),
            "errors": errors_ or {},
        }
        return common.render(request, "admin/edit.html", context, status_code=status_code)

    async def list_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
        return await page(request, ctx)

    async def create(request: Request, ctx: Ctx, admin: Admin) -> Response:
        form = await checked_form(request)
        values = form_values(area, form)
        try:
            data = area.write_model.model_validate(values)
            created = await admin_changes.guarded_change(
                ctx,
                actor=admin_changes.ChangeActor.web(admin),
                object_type=area.object_type,
                object_id=None,
                action="create",
                expected_version=None,
                load_before=None,
                apply=lambda: area.save(ctx, data, None),
            )
        except (ValidationError, errors.DomainError) as exc:
            problems = common.field_errors(exc, {f.name for f in area.fields})
            return await page(request, ctx, values=values, errors_=problems, status_code=_status(exc))
        s.flash(request, f"{area.singular.capitalize()} “{_label(created)}” added.", "ok")
        return RedirectResponse(base, status_code=303)

    async def edit(item_id: PageId, request: Request, ctx: Ctx, _admin: Admin) -> Response:
        item = await find(area, ctx, item_id)
        if item is None:
            return common.not_found(request, area.singular)
        return await edit_page(request, ctx, item)

    async def update(item_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
        form = await checked_form(request)
        item = await find(area, ctx, item_id)
        if item is None:
            return common.not_found(request, area.singular)
        values = form_values(area, form)
        try:
            data = area.write_model.model_validate(values)
            saved = await admin_changes.guarded_change(
                ctx,
                actor=admin_changes.ChangeActor.web(admin),
                object_type=area.object_type,
                object_id=item_id,
                action="update",
                expected_version=common.text(form, "version") or None,
                load_before=lambda: _found(area, ctx, item_id),
                apply=lambda: area.save(ctx, data, item_id),
            )
        except admin_changes.VersionConflict:
            current = await find(area, ctx, item_id)
            if current is None:
                return common.not_found(request, area.singular)
            problems = {common.FORM_ERROR: common.conflict_message(area.singular)}
            return await edit_page(request, ctx, current, errors_=problems, status_code=409)
        except (ValidationError, errors.DomainError) as exc:
            problems = common.field_errors(exc, {f.name for f in area.fields})
            return await edit_page(request, ctx, item, values=values, errors_=problems, status_code=_status(exc))
        s.flash(request, f"{area.singular.capitalize()} “{_label(saved)}” saved.", "ok")
        return RedirectResponse(base, status_code=303)

    async def remove(item_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
        form = await checked_form(request)
        item = await find(area, ctx, item_id)
        delete = area.delete
        if item is None or delete is None:
            return common.not_found(request, area.singular)
        try:
            await admin_changes.guarded_change(
                ctx,
                actor=admin_changes.ChangeActor.web(admin),
                object_type=area.object_type,
                object_id=item_id,
                action="delete",
                expected_version=common.text(form, "version") or None,
                load_before=lambda: _found(area, ctx, item_id),
                apply=lambda: delete(ctx, item_id),
            )
        except admin_changes.VersionConflict:
            current = await find(area, ctx, item_id)
            if current is None:
                return common.not_found(request, area.singular)
            problems = {common.FORM_ERROR: common.conflict_message(area.singular)}
            return await edit_page(request, ctx, current, errors_=problems, status_code=409)
        except errors.DomainError as exc:
            problems = common.field_errors(exc)
            return await edit_page(request, ctx, item, errors_=problems, status_code=_status(exc))
        s.flash(request, f"{area.singular.capitalize()} “{_label(item)}” deleted.", "ok")
        return RedirectResponse(base, status_code=303)

    router.add_api_route(base, list_page, methods=["GET"])
    if area.can_create:
        router.add_api_route(base, create, methods=["POST"])
    router.add_api_route(base + "/{item_id}", edit, methods=["GET"])
    if area.can_edit:
        router.add_api_route(base + "/{item_id}", update, methods=["POST"])
    if area.delete is not None:
        router.add_api_route(base + "/{item_id}/delete", remove, methods=["POST"])


def _status(exc: Exception) -> int:
    if isinstance(exc, errors.DomainError):
        return errors.http_status(exc.code) if exc.code != errors.NOT_FOUND else 422
    return 422


def _label(item: Any) -> str:
    return str(getattr(item, "name", None) or getattr(item, "title", None) or getattr(item, "id", ""))
