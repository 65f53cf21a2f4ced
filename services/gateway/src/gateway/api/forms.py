"""REST API v1 of department forms (A3): admins define the forms the portal shows as department tiles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel
from starlette.responses import Response

from contracts import forms as f
from contracts.bounds import LaxId
from gateway import admin_objects as objects
from gateway.access import ApiPrincipal
from gateway.api.changes import CONFLICT, ETAG_HEADER, AdminChange, AdminCreate, versioned
from gateway.api.deps import principal, require
from gateway.api.responses import FORBIDDEN
from gateway.context import AppContext, get_context
from gateway.domain import api_keys

PREFIX = "/api/v1"
_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "not_found"}}}}}
_INVALID = {
    "description": "The definition is unsound: `code` says how (`form_duplicate_key`, `form_options_invalid`,"
    " `form_unknown_maps_to`, `form_maps_to_mismatch`, `form_show_if_invalid`, `form_unknown_group`, or"
    " `validation_error` for a malformed body) and `details.path` where, e.g. `pages[1].fields[0].show_if.key`",
    "content": {
        "application/json": {
            "example": {
                "error": {
                    "code": "form_show_if_invalid",
                    "message": "show_if names 'device', which is not a field asked before this one",
                    "details": {"path": "pages[0].fields[1].show_if.key"},
                }
            }
        }
    },
}
_COMMON: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 404: _ERROR, 422: _INVALID, 503: _ERROR}

router = APIRouter(prefix=PREFIX, tags=["v1"], responses=_COMMON, dependencies=[Depends(principal)])

Ctx = Annotated[AppContext, Depends(get_context)]
Reader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_READ))]
FormId = Annotated[LaxId, Path()]


class FormList(BaseModel):
    items: list[f.FormRead]
    next: str | None = None


@router.get("/forms", response_model=FormList)
async def list_forms(ctx: Ctx, _who: Reader) -> FormList:
    """Every department form, published or not, by name."""
    return FormList(items=await ctx.cases.list_forms())


@router.get("/forms/{form_id}", response_model=f.FormRead, responses={200: {"headers": ETAG_HEADER}})
async def get_form(form_id: FormId, ctx: Ctx, _who: Reader) -> Response:
    """One form's definition; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.form(ctx, form_id))


@router.post("/forms", status_code=201, response_model=f.FormRead)
async def create_form(data: f.FormWrite, change: AdminCreate) -> Response:
    """Define a department form (admin): pages of fields, each field with a `type` (text, textarea, number, date,
    select, multi-select, checkbox, email, phone, file), `required`, `help`, `options` (select and multi-select
    only), `maps_to` (`title`, `description`, `priority`, `type` or `custom_fields.<key>`: the case field its
    answer sets) and `show_if` (`{"key": <an earlier field>, "equals": <value>}`: shown only when that answer has
    this value, or any value without `equals`; a page may have one too). A `published` form is shown in the
    portal as a tile; a customer's submission opens their case in `group_id` with every answer kept (`form` on
    `GET /cases/{id}`)."""
    saved = await change("form", None, "create", load_before=None, apply=lambda: change.ctx.cases.save_form(data=data))
    return versioned(saved, 201)


@router.put("/forms/{form_id}", response_model=f.FormRead, responses=CONFLICT)
async def replace_form(form_id: FormId, data: f.FormWrite, change: AdminChange) -> Response:
    """Replace a form's whole definition (admin); cases opened before keep the questions as they were asked."""
    ctx = change.ctx
    saved = await change(
        "form",
        form_id,
        "update",
        load_before=lambda: objects.form(ctx, form_id),
        apply=lambda: ctx.cases.save_form(data=data, form_id=form_id),
    )
    return versioned(saved)


@router.patch("/forms/{form_id}", response_model=f.FormRead, responses=CONFLICT)
async def change_form(form_id: FormId, changes: f.FormPatch, change: AdminChange) -> Response:
    """Change parts of a form (admin): `{"published": false}` unpublishes it; `pages` replaces every page."""
    ctx = change.ctx
    saved = await change(
        "form",
        form_id,
        "update",
        load_before=lambda: objects.form(ctx, form_id),
        apply=lambda: ctx.cases.change_form(form_id=form_id, changes=changes),
    )
    return versioned(saved)


@router.delete("/forms/{form_id}", status_code=204, responses=CONFLICT)
async def delete_form(form_id: FormId, change: AdminChange) -> Response:
    """Delete a form (admin); to take it off the portal but keep it, PATCH `{"published": false}` instead.
    Cases it opened keep their answers."""
    ctx = change.ctx
    await change(
        "form",
        form_id,
        "delete",
        load_before=lambda: objects.form(ctx, form_id),
        apply=lambda: ctx.cases.delete_form(form_id=form_id),
    )
    return Response(status_code=204)
