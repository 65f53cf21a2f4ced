"""Mail health: the suppression list (addresses that bounced hard; clear one), the delivery log, and the inbound
mail audit with each raw message to download. notifications and the mail gateway own them; the pages call them
as `gateway.api.deliveries` and `gateway.api.inbound_mail` do."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.responses import Response

from contracts import errors
from contracts import mail_gateway as mg
from contracts.bounds import LaxId
from contracts.notifications import DeliveryRead, SuppressionRead
from gateway import admin_changes, admin_objects
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.routes import checked_form
from gateway.ui.session import PageId

MAIL_HEALTH = "Mail health"
SUPPRESSIONS = "/admin/suppressions"
DELIVERIES = "/admin/deliveries"
INBOUND = "/admin/inbound-mail"
DELIVERY_STEP, DELIVERY_MAX = 50, 500  # the API's bound of one answer
INBOUND_PAGE = 50
_deliveries = TypeAdapter(list[DeliveryRead])
_suppressions = TypeAdapter(list[SuppressionRead])
KIND_LABELS = {
    mg.MailKind.NORMAL.value: "Normal",
    mg.MailKind.AUTO_REPLY.value: "Auto-reply",
    mg.MailKind.BOUNCE.value: "Bounce",
    mg.MailKind.MAILING_LIST.value: "Mailing list",
    mg.MailKind.LOOP.value: "Loop",
}


async def _change(ctx: AppContext, admin: dict[str, Any], address: str) -> SuppressionRead:
    """Every suppression the console clears: in the audit log as the API's."""

    async def apply() -> SuppressionRead:
        cleared = await ctx.rpc.call("notifications", "clear_suppression", address=address)
        return SuppressionRead.model_validate(cleared)

    return await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(admin),
        object_type="suppression",
        object_id=address.strip().lower(),
        action="clear",
        expected_version=None,
        load_before=lambda: admin_objects.suppression(ctx, address),
        apply=apply,
    )


def _problems(exc: ValidationError) -> dict[str, str]:
    """A filter's error, keyed by its field in the form."""
    return common.field_errors(exc, None)


# -- suppressions -------------------------------------------------------------------------------------------


class SuppressionFilter(BaseModel):
    address: str | None = Field(default=None, max_length=320)


async def suppressions_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    raw = {"address": request.query_params.get("address", "").strip() or None}
    problems: dict[str, str] = {}
    try:
        wanted = SuppressionFilter.model_validate(raw)
    except ValidationError as exc:
        problems, wanted = _problems(exc), SuppressionFilter()
    rows = _suppressions.validate_python(
        await ctx.rpc.call("notifications", "list_suppressions", address=wanted.address)
    )
    context = {"items": rows, "values": raw, "errors": problems}
    return common.render(request, "admin/suppressions.html", context, status_code=422 if problems else 200)


async def clear_suppression(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    address = common.text(form, "address")
    try:
        cleared = await _change(ctx, admin, address[:320])
    except errors.DomainError as exc:
        if exc.code != errors.NOT_FOUND:
            raise
        s.flash(request, f"{address or 'That address'} is not suppressed (any more).", "error")
        return RedirectResponse(SUPPRESSIONS, status_code=303)
    s.flash(request, f"Mail goes to {cleared.address} again.", "ok")
    return RedirectResponse(SUPPRESSIONS, status_code=303)


# -- the delivery log ---------------------------------------------------------------------------------------


class DeliveryFilter(BaseModel):
    """The filters `GET /api/v1/deliveries` offers; the log grows by `limit` (it has no cursor)."""

    case: LaxId | None = None
    recipient: str | None = Field(default=None, max_length=320)
    limit: int = Field(default=DELIVERY_STEP, ge=1, le=DELIVERY_MAX)


async def deliveries_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    query = request.query_params
    raw = {k: query.get(k, "").strip() or None for k in ("case", "recipient", "limit")}
    problems: dict[str, str] = {}
    try:
        wanted = DeliveryFilter.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as exc:
        problems, wanted = _problems(exc), DeliveryFilter()
    rows = _deliveries.validate_python(
        await ctx.rpc.call(
            "notifications", "list_deliveries", case_id=wanted.case, recipient=wanted.recipient, limit=wanted.limit
        )
    )
    more = None
    if len(rows) >= wanted.limit and wanted.limit < DELIVERY_MAX:
        keep = wanted.model_dump(exclude_none=True)
        more = f"{DELIVERIES}?{urlencode({**keep, 'limit': min(wanted.limit + DELIVERY_STEP, DELIVERY_MAX)})}"
    context = {"items": rows, "values": raw, "errors": problems, "more_url": more, "limit": wanted.limit}
    return common.render(request, "admin/deliveries.html", context, status_code=422 if problems else 200)


# -- the inbound mail audit ---------------------------------------------------------------------------------


class InboundFilter(BaseModel):
    """The filters `GET /api/v1/inbound-mail` offers, named as its query parameters."""

    message_id: str | None = Field(default=None, max_length=998)
    mailbox: str | None = Field(default=None, max_length=320)
    classification: mg.MailKind | None = None
    case_id: LaxId | None = None
    status: mg.InboundMailStatus | None = None
    before_id: LaxId | None = None


async def inbound_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    query = request.query_params
    names = ("message_id", "mailbox", "classification", "case_id", "status", "before_id")
    raw = {k: query.get(k, "").strip() or None for k in names}
    problems: dict[str, str] = {}
    try:
        wanted = InboundFilter.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as exc:
        problems, wanted = _problems(exc), InboundFilter()
    filters = mg.InboundMailFilter(
        message_id=wanted.message_id,
        mailbox=wanted.mailbox,
        kind=wanted.classification,
        case_id=wanted.case_id,
        status=wanted.status,
        before_id=wanted.before_id,
        limit=INBOUND_PAGE,
    )
    page = mg.InboundMailPage.model_validate(
        await ctx.rpc.call("mail_gateway", "list_inbound_mail", filters=filters.model_dump(mode="json"))
    )
    keep = wanted.model_dump(mode="json", exclude_none=True, exclude={"before_id"})
    context = {
        "items": page.items,
        "values": raw,
        "errors": problems,
        "kinds": KIND_LABELS,
        "statuses": [(st.value, st.value.capitalize()) for st in mg.InboundMailStatus],
        "next_url": f"{INBOUND}?{urlencode({**keep, 'before_id': page.next_before_id})}"
        if page.next_before_id
        else None,
        "first_url": f"{INBOUND}?{urlencode(keep)}" if wanted.before_id else None,
    }
    return common.render(request, "admin/inbound_mail.html", context, status_code=422 if problems else 200)


async def raw_mail(mail_id: PageId, request: Request, ctx: Ctx, _admin: Admin) -> Response:
    """The raw message exactly as received, always as a download (never shown in the browser): it is mail from
    anyone, and `message/rfc822` could otherwise be rendered. The same headers as the API's raw route."""
    try:
        found = await ctx.rpc.call("mail_gateway", "get_raw_mail", inbound_mail_id=mail_id)
    except errors.DomainError as exc:
        if exc.code in (errors.NOT_FOUND, errors.VALIDATION_ERROR):
            return common.not_found(request, "inbound mail")
        raise
    raw = mg.RawMail.model_validate(found)
    return Response(
        base64.b64decode(raw.raw_base64),
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="inbound-{mail_id}.eml"', "ETag": f'"{raw.raw_sha256}"'},
    )


def install(router: APIRouter) -> None:
    for path, title, description in (
        (SUPPRESSIONS, "Suppressions", "Addresses that bounced hard get no mail until cleared."),
        (DELIVERIES, "Delivery log", "Every message we sent or tried to: status, attempts, the last error."),
        (INBOUND, "Inbound mail", "Every mail that came in, what it became and why; the raw message to download."),
    ):
        common.add_section(MAIL_HEALTH, common.Section(path, title, description))
    router.add_api_route(SUPPRESSIONS, suppressions_page, methods=["GET"])
    router.add_api_route(SUPPRESSIONS + "/clear", clear_suppression, methods=["POST"])
    router.add_api_route(DELIVERIES, deliveries_page, methods=["GET"])
    router.add_api_route(INBOUND, inbound_page, methods=["GET"])
    router.add_api_route(INBOUND + "/{mail_id}/raw", raw_mail, methods=["GET"])
