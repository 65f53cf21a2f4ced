"""What customers receive by email: the workspace's settings (never / link only / full conversation, sender,
closing greeting, followers in CC) and, through the same form, one organisation's overrides. notifications owns
them; the pages call it as `gateway.api.customer_mail` does. An empty field inherits the level above."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import errors
from contracts.notifications import ConversationMode, CustomerMailSettingsRead, CustomerMailSettingsWrite
from gateway import admin_changes, admin_objects
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Field
from gateway.ui.routes import checked_form

BASE = "/admin/customer-mail"
CONVERSATION_LABELS = {
    ConversationMode.NEVER.value: "Never: no mail to the customer",
    ConversationMode.LINK.value: "Link only: “there is a new answer” with a link to the portal",
    ConversationMode.FULL.value: "Full conversation: the agent's reply in the mail",
}
FIELDS = ("conversation", "sender_address", "sender_name", "closing_greeting", "cc_followers")


async def _change(
    ctx: AppContext, admin: dict[str, Any], organisation_id: int | None, data: CustomerMailSettingsWrite
) -> CustomerMailSettingsRead:
    """Every customer mail change of the console: in the audit log as the API's (the page checked the version
    of the level's own values, decision 0209)."""

    async def apply() -> CustomerMailSettingsRead:
        saved = await ctx.rpc.call(
            "notifications",
            "set_customer_mail_settings",
            organisation_id=organisation_id,
            data=data.model_dump(mode="json"),
        )
        return CustomerMailSettingsRead.model_validate(saved)

    return await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(admin),
        object_type="customer_mail_settings",
        object_id=organisation_id,
        action="update",
        expected_version=None,
        load_before=lambda: admin_objects.customer_mail(ctx, organisation_id),
        apply=apply,
    )


async def load(ctx: AppContext, organisation_id: int | None) -> CustomerMailSettingsRead:
    found = await ctx.rpc.call("notifications", "get_customer_mail_settings", organisation_id=organisation_id)
    return CustomerMailSettingsRead.model_validate(found)


def version(settings: CustomerMailSettingsRead) -> str:
    """Only the level's own values: a change of the level above is no conflict for an override."""
    return common.version_of(settings.stored)


def fields(inherited: str) -> list[dict[str, Any]]:
    """The form's fields; `inherited` names what an empty one falls back to (the workspace, the configuration)."""
    keep, empty = f"—: as {inherited}.", f"Empty: as {inherited}."
    specs = (
        (
            Field("conversation", "What the customer gets by email", kind="select", help=keep),
            list(CONVERSATION_LABELS.items()),
        ),
        (Field("sender_address", "Sender address", kind="email", help=empty), ()),
        (Field("sender_name", "Sender name", help=f"Shown before the address, e.g. “Acme Support”. {empty}"), ()),
        (
            Field(
                "closing_greeting",
                "Closing greeting",
                kind="textarea",
                help=f"Ends every mail to the customer, e.g. “Kind regards, the support team”. {empty}",
            ),
            (),
        ),
        (
            Field("cc_followers", "Followers in CC", kind="select", help=keep),
            [("yes", "Yes: followers get the mail in CC"), ("no", "No")],
        ),
    )
    return [{"f": f, "options": list(options)} for f, options in specs]


def form_values(form: FormData) -> dict[str, Any]:
    """What the form says, typed as `CustomerMailSettingsWrite` expects; empty means inherit (None)."""
    cc = common.text(form, "cc_followers")
    return {
        "conversation": common.text(form, "conversation") or None,
        "sender_address": common.text(form, "sender_address") or None,
        "sender_name": common.text(form, "sender_name") or None,
        "closing_greeting": common.text(form, "closing_greeting") or None,
        "cc_followers": {"yes": True, "no": False}.get(cc, cc or None),
    }


def stored_values(settings: CustomerMailSettingsRead) -> dict[str, Any]:
    values = settings.stored.model_dump(mode="json")
    cc = values.get("cc_followers")
    values["cc_followers"] = None if cc is None else ("yes" if cc else "no")
    return values


async def save(
    ctx: AppContext, admin: dict[str, Any], organisation_id: int | None, form: FormData
) -> tuple[CustomerMailSettingsRead | None, dict[str, Any], dict[str, str], int]:
    """Check the version and save: (saved or None, the form's values, errors by field, HTTP status)."""
    values = form_values(form)
    current = await load(ctx, organisation_id)
    if common.text(form, "version") != version(current):
        problems = {common.FORM_ERROR: common.conflict_message("setting")}
        return None, stored_values(current), problems, 409
    try:
        saved = await _change(ctx, admin, organisation_id, CustomerMailSettingsWrite.model_validate(values))
    except (ValidationError, errors.DomainError) as exc:
        shown = {**values, "cc_followers": common.text(form, "cc_followers") or None}
        status = errors.http_status(exc.code) if isinstance(exc, errors.DomainError) else 422
        return None, shown, common.field_errors(exc, set(FIELDS)), status
    return saved, stored_values(saved), {}, 200


async def _page(
    request: Request,
    ctx: AppContext,
    *,
    current: CustomerMailSettingsRead,
    values: dict[str, Any] | None = None,
    errors_: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "settings": current,
        "labels": CONVERSATION_LABELS,
        "fields": fields("configured for the service"),
        "values": values if values is not None else stored_values(current),
        "version": version(current),
        "errors": errors_ or {},
    }
    return common.render(request, "admin/customer_mail.html", context, status_code=status_code)


async def customer_mail_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _page(request, ctx, current=await load(ctx, None))


async def save_customer_mail(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    saved, values, problems, status = await save(ctx, admin, None, form)
    if saved is None:
        return await _page(
            request, ctx, current=await load(ctx, None), values=values, errors_=problems, status_code=status
        )
    s.flash(request, "Customer mail settings saved.", "ok")
    return RedirectResponse(BASE, status_code=303)


def install(router: APIRouter) -> None:
    common.add_section(
        "Customers",
        common.Section(BASE, "Customer mail", "What customers get by email, the sender and the closing greeting."),
    )
    router.add_api_route(BASE, customer_mail_page, methods=["GET"])
    router.add_api_route(BASE, save_customer_mail, methods=["POST"])
