"""Admin areas of what a case holds and how cases behave: custom fields, the built-in optional fields
(used / hidden / required), and the workspace's case settings (reply rules, concurrency, unknown senders)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError, field_validator
from starlette.responses import Response

from contracts import case_config as cc
from contracts import errors
from gateway import admin_changes
from gateway import admin_objects as objects
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Area, Field, mount
from gateway.ui.routes import checked_form

CASES = "Cases"
TYPE_LABELS = (("text", "Text"), ("number", "Number"), ("date", "Date"), ("select", "Choice from a list"))


# -- custom fields -----------------------------------------------------------------------------


class CustomFieldForm(cc.CustomFieldWrite):
    """The form sends a select's options one per line. Key and type are only asked for when the field is
    created: on edit they come from the stored field, and the full write model checks them before saving."""

    key: str = ""
    type: cc.CustomFieldType | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _lines(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        return value


async def _custom_fields(ctx: AppContext) -> list[cc.CustomFieldRead]:
    return await ctx.cases.list_custom_fields()


async def _save_custom_field(ctx: AppContext, data: BaseModel, item_id: int | None) -> cc.CustomFieldRead:
    assert isinstance(data, CustomFieldForm)
    values = data.model_dump()
    if item_id is not None:  # key and type never change; the edit form does not show them
        stored = next((f for f in await ctx.cases.list_custom_fields() if f.id == item_id), None)
        if stored is not None:
            values.update(key=stored.key, type=stored.type)
    return await ctx.cases.save_custom_field(data=cc.CustomFieldWrite.model_validate(values), field_id=item_id)


def _custom_field_form(item: Any) -> dict[str, Any]:
    data = item.model_dump(mode="json")
    return {**data, "options": "\n".join(item.options)}


CUSTOM_FIELDS = Area(
    path="custom-fields",
    title="Custom fields",
    singular="custom field",
    object_type="custom_field",
    description="Fields of your own on every case: text, number, date or a choice from a list.",
    group=CASES,
    fields=(
        Field("label", "Label", required=True, help="What agents see on the case."),
        Field(
            "key",
            "Key",
            required=True,
            on_create_only=True,
            help="For the API and imports: lower-case letters, digits and _, starting with a letter. Cannot change.",
        ),
        Field("type", "Type", kind="select", options=TYPE_LABELS, required=True, on_create_only=True),
        Field("options", "Choices", kind="textarea", help="For a choice from a list: one choice per line."),
        Field("used", "Used (shown on cases)", kind="checkbox"),
        Field("hidden", "Hidden from the case form (values are kept)", kind="checkbox"),
        Field("required", "Required on every case", kind="checkbox"),
    ),
    columns=(("label", "Label"), ("key", "Key"), ("type", "Type"), ("options", "Choices"), ("required", "Required")),
    labels={"type": dict(TYPE_LABELS)},
    write_model=CustomFieldForm,
    list_items=_custom_fields,
    save=_save_custom_field,
    to_form=_custom_field_form,
    defaults={"used": True, "type": "text"},
)


# -- field configuration -------------------------------------------------------------------------

FIELD_LABELS = {
    "type_id": "Type",
    "category": "Category",
    "solution": "Solution",
    "due_at": "Due date",
    "external_ref": "External reference",
    "organisation_id": "Organisation",
    "follower_ids": "Followers",
    "tags": "Tags",
    "parent_id": "Parent case",
}
# one choice per row instead of three checkboxes: a field cannot be both hidden and required
STATES = (
    ("shown", "Shown"),
    ("required", "Required"),
    ("hidden", "Hidden"),
    ("off", "Not used"),
)
FIELD_CONFIG = "/admin/field-config"


def _state(cfg: cc.FieldConfigRead) -> str:
    if not cfg.used:
        return "off"
    return "hidden" if cfg.hidden else "required" if cfg.required else "shown"


def _config(field: str, state: str) -> cc.FieldConfigRead:
    return cc.FieldConfigRead(field=field, used=state != "off", hidden=state == "hidden", required=state == "required")


async def _change_field_config(ctx: AppContext, admin: dict[str, Any], data: cc.FieldConfigRead) -> None:
    """Every field-configuration change of the console goes through here, audited as the API's are; the
    page checked the version of the whole list before."""
    await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(admin),
        object_type="field_config",
        object_id=data.field,
        action="update",
        expected_version=None,
        load_before=lambda: objects.field_config(ctx, data.field),
        apply=lambda: ctx.cases.save_field_config(data=data),
    )


async def _field_config_page(
    request: Request,
    ctx: AppContext,
    chosen: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    configs = await ctx.cases.list_field_configs()
    rows = [
        {"field": cfg.field, "label": FIELD_LABELS.get(cfg.field, cfg.field), "state": _state(cfg)} for cfg in configs
    ]
    if chosen:
        for row in rows:
            row["state"] = chosen.get(row["field"], row["state"])
    context = {"rows": rows, "states": STATES, "version": common.version_of(configs), "errors": problems or {}}
    return common.render(request, "admin/field_config.html", context, status_code=status_code)


async def field_config_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _field_config_page(request, ctx)


async def save_field_config(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    configs = await ctx.cases.list_field_configs()
    if not common.same_version(common.text(form, "version"), configs):
        problems = {common.FORM_ERROR: common.conflict_message("field configuration")}
        return await _field_config_page(request, ctx, problems=problems, status_code=409)
    valid = {v for v, _ in STATES}
    chosen = {cfg.field: common.text(form, cfg.field) or _state(cfg) for cfg in configs}
    problems = {f: "Choose one of the offered settings." for f, state in chosen.items() if state not in valid}
    if problems:
        return await _field_config_page(request, ctx, chosen, problems, 422)
    changed = 0
    for cfg in configs:
        if chosen[cfg.field] == _state(cfg):
            continue
        try:
            await _change_field_config(ctx, admin, _config(cfg.field, chosen[cfg.field]))
        except errors.DomainError as exc:
            problems = {cfg.field: exc.message}
            status = errors.http_status(exc.code)
            return await _field_config_page(request, ctx, chosen, problems, status)
        changed += 1
    s.flash(request, f"Field configuration saved ({changed} changed).", "ok")
    return RedirectResponse(FIELD_CONFIG, status_code=303)


# -- case settings ---------------------------------------------------------------------------------

SETTINGS = "/admin/case-settings"
CLOSED_REPLY_LABELS = (
    ("reopen", "Reopens the case"),
    ("follow_up", "Opens a new follow-up case linked to it"),
)
CONCURRENCY_LABELS = (
    ("strict", "Strict: any change made since the agent opened the case refuses their save"),
    ("field", "By field: refused only when the same field was changed; other changes are merged"),
)
SETTING_FIELDS = (
    Field("agent_reply_sets_waiting", "An agent's reply sets the case to waiting on the contact", kind="checkbox"),
    Field("contact_reply_reopens", "A contact's reply reopens a waiting or resolved case", kind="checkbox"),
    Field("closed_reply", "A reply to a closed case", kind="select", options=CLOSED_REPLY_LABELS, required=True),
    Field(
        "concurrency", "When two agents edit a case at once", kind="select", options=CONCURRENCY_LABELS, required=True
    ),
    Field(
        "hold_unknown_senders",
        "Hold mail from unknown senders until an agent approves the contact",
        kind="checkbox",
    ),
)


async def _change_settings(
    ctx: AppContext, admin: dict[str, Any], changes: cc.CaseSettings, version: str | None
) -> cc.CaseSettings:
    """Every case-settings change of the console goes through here: the version check and the audit log
    are the API's."""
    return await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(admin),
        object_type="case_settings",
        object_id=None,
        action="update",
        expected_version=version or None,
        load_before=lambda: objects.case_settings(ctx),
        apply=lambda: ctx.cases.update_case_settings(changes=changes),
    )


async def _settings_page(
    request: Request,
    ctx: AppContext,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    current = await ctx.cases.get_case_settings()
    context = {
        "fields": [{"f": f, "options": list(f.options) if not callable(f.options) else []} for f in SETTING_FIELDS],
        "values": values if values is not None else current.model_dump(mode="json"),
        "version": common.version_of(current),
        "errors": problems or {},
    }
    return common.render(request, "admin/case_settings.html", context, status_code=status_code)


async def settings_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _settings_page(request, ctx)


async def save_settings(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    values: dict[str, Any] = {}
    for f in SETTING_FIELDS:
        values[f.name] = form.get(f.name) is not None if f.kind == "checkbox" else common.text(form, f.name)
    try:
        await _change_settings(ctx, admin, cc.CaseSettings.model_validate(values), common.text(form, "version"))
    except admin_changes.VersionConflict:
        problems = {common.FORM_ERROR: common.conflict_message("setting")}
        return await _settings_page(request, ctx, problems=problems, status_code=409)
    except (ValidationError, errors.DomainError) as exc:
        problems = common.field_errors(exc, {f.name for f in SETTING_FIELDS})
        status = errors.http_status(exc.code) if isinstance(exc, errors.DomainError) else 422
        return await _settings_page(request, ctx, values, problems, status)
    s.flash(request, "Case settings saved.", "ok")
    return RedirectResponse(SETTINGS, status_code=303)


def install(router: APIRouter) -> None:
    mount(router, CUSTOM_FIELDS)
    common.add_section(
        CASES,
        common.Section(
            FIELD_CONFIG, "Field configuration", "Which built-in case fields are shown, required or hidden."
        ),
    )
    common.add_section(
        CASES,
        common.Section(
            SETTINGS, "Case settings", "What replies do to a case's status, concurrent edits, unknown senders."
        ),
    )
    router.add_api_route(FIELD_CONFIG, field_config_page, methods=["GET"])
    router.add_api_route(FIELD_CONFIG, save_field_config, methods=["POST"])
    router.add_api_route(SETTINGS, settings_page, methods=["GET"])
    router.add_api_route(SETTINGS, save_settings, methods=["POST"])
