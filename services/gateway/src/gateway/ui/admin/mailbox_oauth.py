"""Connecting a mailbox with OAuth2 (decision 0224): "Connect with Microsoft/Google" on the mailbox page sends the
admin to the provider's consent screen; the provider sends the browser back to the callback below.

The state the mail gateway made is kept in this browser's signed session and must come back unchanged: an
answer that does not match (another browser's, a forged or a replayed one) is refused before anything is
asked of the mail gateway. The code goes to the mail gateway, which exchanges it and keeps the tokens and the
client secret: neither ever reaches this process."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import errors
from contracts import mail_gateway as mg
from gateway import admin_objects
from gateway.admin_changes import ChangeActor, guarded_change
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Field
from gateway.ui.routes import checked_form, error_page
from gateway.ui.session import PageId

BASE = "/admin/mailboxes"
CALLBACK = BASE + "/oauth/callback"
PENDING = "mailbox_oauth"  # the session key of the consent in progress: {"state", "mailbox_id"}
PROVIDER_NAMES = {"microsoft": "Microsoft 365", "google": "Google", "custom": "the provider"}
OAUTH_FIELDS = ("client_id", "client_secret", "tenant", "authorize_url", "token_url", "scopes")
# the app registration: empty fields fall back to the mail gateway's settings for Microsoft and Google
APP_FORM = (
    Field("client_id", "Client (application) id", help="Empty: the one in the mail gateway's settings."),
    Field(
        "client_secret",
        "Client secret",
        kind="password",
        help="Never shown. Stored encrypted. Leave blank to keep the stored one (or the settings').",
    ),
    Field("tenant", "Microsoft tenant", help="Directory (tenant) id or domain. Empty: any work or school account."),
)
CUSTOM_FORM = (
    Field("authorize_url", "Authorize URL", help="The provider's consent page, https://…"),
    Field("token_url", "Token URL", help="https://…"),
    Field("scopes", "Scopes", help="Separated by spaces; include the one that grants a refresh token."),
)


def form_specs(fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    return [{"f": f, "options": []} for f in fields]


def redirect_uri(ctx: AppContext) -> str:
    """The address to register with the provider as the app's redirect URI."""
    return ctx.settings.public_url.rstrip("/") + CALLBACK


def _start(form: FormData, ctx: AppContext) -> mg.MailboxOAuthStart:
    values: dict[str, Any] = {"provider": common.text(form, "provider"), "redirect_uri": redirect_uri(ctx)}
    for name in OAUTH_FIELDS:
        given = form.get(name)
        if isinstance(given, str) and given.strip():
            # a secret is taken as typed (it may begin or end with a space); the rest trimmed
            values[name] = given if name == "client_secret" else given.strip()
    return mg.MailboxOAuthStart.model_validate(values)


def _problems(exc: Exception) -> dict[str, str]:
    problems = common.field_errors(exc, set(OAUTH_FIELDS) | {"provider"})
    if isinstance(exc, ValidationError) and "provider" in problems:
        problems["provider"] = "Choose Microsoft 365, Google or a custom provider."
    return problems


def shown_values(form: FormData) -> dict[str, str]:
    """What the connect form shows again after a problem: never the client secret."""
    return {name: common.text(form, name) for name in OAUTH_FIELDS if name != "client_secret"}


async def begin(
    request: Request, ctx: AppContext, form: FormData, mailbox: mg.MailboxRead
) -> Response | dict[str, str]:
    """Remember the mail gateway's state in this session and open the consent screen; or the problems with the
    form (nothing stored, no state kept)."""
    mailbox_id = mailbox.id
    try:
        start = _start(form, ctx)
        answer = await ctx.rpc.call(
            "mail_gateway", "begin_mailbox_oauth", mailbox_id=mailbox_id, data=start.model_dump(mode="json")
        )
    except (ValidationError, errors.DomainError) as exc:
        return _problems(exc)
    consent = mg.MailboxOAuthConsent.model_validate(answer)
    request.session[PENDING] = {"state": consent.state, "mailbox_id": mailbox_id}
    context = {"mailbox": mailbox, "authorize_url": consent.authorize_url, "provider": PROVIDER_NAMES[start.provider]}
    return common.render(request, "admin/mailbox_oauth_go.html", context)


async def oauth_callback(request: Request, ctx: Ctx, admin: Admin) -> Response:
    """The provider's answer: checked against this session's state, then handed to the mail gateway."""
    pending = request.session.pop(PENDING, None)
    query = request.query_params
    state, code = query.get("state") or "", query.get("code") or ""
    expected = pending.get("state") if isinstance(pending, dict) else None
    if not isinstance(expected, str) or not state or not hmac.compare_digest(expected, state):
        return error_page(
            request,
            400,
            "Sign-in answer refused",
            "This answer from the provider does not belong to a connection started in this browser "
            f"({errors.OAUTH_STATE_INVALID}: the state does not match). Nothing was changed: start again with "
            "“Connect” on the mailbox's page.",
        )
    mailbox_id = int(pending["mailbox_id"])
    if query.get("error"):
        reason = query.get("error", "")
        words = " ".join((query.get("error_description") or "").split())[:300]
        s.flash(request, f"The provider did not connect the mailbox: {reason}{': ' + words if words else ''}.", "error")
        return RedirectResponse(f"{BASE}/{mailbox_id}", status_code=303)
    if not code:
        return error_page(request, 400, "Sign-in answer refused", "The provider's answer has no code. Start again.")

    async def complete() -> mg.MailboxRead:
        await ctx.rpc.call("mail_gateway", "complete_mailbox_oauth", state=state, code=code)
        return await admin_objects.mailbox(ctx, mailbox_id)

    try:
        saved = await _change_mailbox(ctx, admin, mailbox_id, complete)
    except errors.DomainError as exc:
        return error_page(request, errors.http_status(exc.code), "The mailbox was not connected", exc.message)
    provider = saved.oauth.provider.value if saved.oauth is not None else "custom"
    s.flash(request, f"Mailbox {saved.address} is connected with {PROVIDER_NAMES[provider]}.", "ok")
    return RedirectResponse(f"{BASE}/{mailbox_id}", status_code=303)


async def _change_mailbox(
    ctx: AppContext, admin: dict[str, Any], mailbox_id: int, apply: Callable[[], Awaitable[mg.MailboxRead]]
) -> mg.MailboxRead:
    """A connection change of a mailbox, in the audit log like every console change (no version to check:
    the provider's answer or the button names no version)."""
    return await guarded_change(
        ctx,
        actor=ChangeActor.web(admin),
        object_type="mailbox",
        object_id=mailbox_id,
        action="update",
        expected_version=None,
        load_before=lambda: admin_objects.mailbox(ctx, mailbox_id),
        apply=apply,
    )


async def disconnect_mailbox(mailbox_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
    await checked_form(request)

    async def disconnect() -> mg.MailboxRead:
        await ctx.rpc.call("mail_gateway", "disconnect_mailbox_oauth", mailbox_id=mailbox_id)
        return await admin_objects.mailbox(ctx, mailbox_id)

    try:
        saved = await _change_mailbox(ctx, admin, mailbox_id, disconnect)
    except errors.DomainError as exc:
        return error_page(request, errors.http_status(exc.code), "The mailbox was not changed", exc.message)
    s.flash(request, f"Mailbox {saved.address} no longer signs in with OAuth2: it uses its password.", "ok")
    return RedirectResponse(f"{BASE}/{mailbox_id}", status_code=303)


def install(router: APIRouter) -> None:
    router.add_api_route(CALLBACK, oauth_callback, methods=["GET"])
    router.add_api_route(BASE + "/{mailbox_id}/oauth/disconnect", disconnect_mailbox, methods=["POST"])
