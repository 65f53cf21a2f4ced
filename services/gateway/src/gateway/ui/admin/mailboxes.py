"""Admin area of mailboxes: the address, IMAP settings, default group, and "Verify", which logs in to the IMAP
server with the settings in the form and names the step that failed; the mailbox's own SMTP server and
"Send test mail", which sends through it as real mail leaves and names the step that failed (decision 0229);
"Connect with Microsoft/Google" signs the mailbox in with OAuth2 instead of a password (`mailbox_oauth`).
The pages make the RPC calls of /api/v1/mailboxes (`gateway.api.inbound_mail`); passwords are never shown:
left blank, the stored one stays."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import errors
from contracts import mail_gateway as mg
from contracts import notifications as nt
from gateway import admin_objects, mailbox_test
from gateway.admin_changes import ChangeActor, fingerprint, guarded_change
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common, mailbox_oauth
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Field
from gateway.ui.routes import checked_form
from gateway.ui.session import PageId

BASE = "/admin/mailboxes"
_mailboxes = TypeAdapter(list[mg.MailboxRead])
SECURITY = (
    (mg.MailboxSecurity.SSL.value, "TLS (port 993)"),
    (mg.MailboxSecurity.STARTTLS.value, "STARTTLS (port 143)"),
    (mg.MailboxSecurity.NONE.value, "None: plain text (local test servers only)"),
)
SMTP_SECURITY = (
    (mg.MailboxSecurity.STARTTLS.value, "STARTTLS (port 587)"),
    (mg.MailboxSecurity.SSL.value, "TLS (port 465)"),
    (mg.MailboxSecurity.NONE.value, "None: plain text (local test servers only)"),
)
SMTP_AUTH = (
    (mg.SmtpAuth.PASSWORD.value, "User name and password"),
    (mg.SmtpAuth.OAUTH2.value, "OAuth2 (Microsoft 365, Gmail): the mailbox's connected account"),
)
# what a failed test mail says in words, by the step notifications names
SEND_STEPS = {
    "config": "Reading the mailbox's settings",
    "connect": "Connecting to the server",
    "tls": "Setting up TLS",
    "auth": "Logging in",
    "sender refused": "The server refused the sender address",
    "recipient refused": "The server refused the recipient",
    "data refused": "The server refused the message",
    "send": "Sending the message",
}
# what a failed verification says in words, by the step the mail gateway names
STEPS = {
    "connect": "Connecting to the server",
    "tls": "Setting up TLS",
    "login": "Logging in",
    "oauth": "Signing in with OAuth2",
    "select": "Opening the folder",
    "done": "Done",
}
FIELDS = (
    Field("address", "Address", kind="email", required=True, help="Mail to this address opens and updates cases."),
    Field("name", "Name", help="Shown to agents, e.g. Support."),
    Field("default_group", "Default group", kind="select", help="New cases from this mailbox go to this group."),
    Field(
        "outsider_reply",
        "A reply on a case from someone not on it",
        kind="select",
        required=True,
        help="Colleagues at the requester's organisation's domains join publicly when the organisation says so.",
    ),
    Field("active", "Active: fetch mail from this mailbox", kind="checkbox"),
    Field("imap_host", "IMAP server", help="e.g. imap.example.com"),
    Field("imap_port", "Port", kind="number"),
    Field("imap_security", "Security", kind="select", options=SECURITY, required=True),
    Field("imap_user", "User name"),
    Field("imap_password", "Password", kind="password", help="Never shown. Leave blank to keep the stored one."),
    Field("imap_folder", "Folder", required=True),
    Field("imap_move_to", "Move fetched mail to folder", help="Empty: mark it read and leave it in place."),
    Field("imap_poll_seconds", "Check every (seconds)", kind="number", required=True),
    Field("use_idle", "Use IMAP IDLE when the server offers it (mail in seconds)", kind="checkbox"),
    Field("smtp_host", "SMTP server", help="e.g. smtp.office365.com. Empty: mail leaves through the global relay."),
    Field("smtp_port", "SMTP port", kind="number", help="Empty: 587 for STARTTLS, 465 for TLS, 25 for none."),
    Field("smtp_security", "SMTP security", kind="select", options=SMTP_SECURITY, required=True),
    Field("smtp_auth", "Log in with", kind="select", options=SMTP_AUTH, required=True),
    Field("smtp_user", "SMTP user name", help="Usually the mailbox's address. Empty with a password login: no login."),
    Field("smtp_password", "SMTP password", kind="password", help="Never shown. Leave blank to keep the stored one."),
)
NUMBERS = {"imap_port", "imap_poll_seconds", "smtp_port"}
PASSWORDS = {"imap_password", "smtp_password"}
OPTIONAL = {"default_group", "imap_host", "imap_user", "imap_move_to", "smtp_host", "smtp_user"}
CHECKBOXES = {"active", "use_idle"}
# what a mail on a case's thread from someone not on the case does (decision 0220)
OUTSIDER = (
    (mg.OutsiderReply.INTERNAL.value, "Joins as an internal note, flagged for an agent to decide"),
    (mg.OutsiderReply.PUBLIC_FOLLOWER.value, "Joins publicly, and the sender follows the case"),
    (mg.OutsiderReply.NEW_LINKED_CASE.value, "Opens a case of its own, linked to the case"),
)
NEW = {
    "outsider_reply": "internal",
    "active": True,
    "imap_security": "ssl",
    "imap_folder": "INBOX",
    "imap_poll_seconds": 60,
    "use_idle": True,
    "smtp_security": "starttls",
    "smtp_auth": "password",
}


async def _list(ctx: AppContext) -> list[mg.MailboxRead]:
    return _mailboxes.validate_python(await ctx.rpc.call("mail_gateway", "list_mailboxes"))


async def _fields(ctx: AppContext) -> list[dict[str, Any]]:
    groups = [(g.name, g.name) for g in await ctx.cases.list_groups()]
    options = {
        "default_group": groups,
        "imap_security": list(SECURITY),
        "outsider_reply": list(OUTSIDER),
        "smtp_security": list(SMTP_SECURITY),
        "smtp_auth": list(SMTP_AUTH),
    }
    return [{"f": f, "options": options.get(f.name, [])} for f in FIELDS]


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in FIELDS:
        raw = common.text(form, f.name)
        if f.name in CHECKBOXES:
            values[f.name] = form.get(f.name) is not None
        elif f.name in NUMBERS:
            values[f.name] = int(raw) if raw.isdigit() else (raw or None)
        elif f.name in PASSWORDS:
            # not stripped: a password may start or end with a space; blank keeps the stored one
            given = form.get(f.name)
            values[f.name] = given if isinstance(given, str) and given else None
        else:
            values[f.name] = raw or (None if f.name in OPTIONAL else raw)
    for name in ("outsider_reply", "smtp_security", "smtp_auth"):
        if not values.get(name):
            values.pop(name, None)  # the select always sends one; a bare post gets the model's default
    return values


def _write(values: dict[str, Any]) -> mg.MailboxWrite:
    data = mg.MailboxWrite.model_validate(values)
    if data.imap_host and not data.imap_user:
        raise errors.ValidationFailed(message="IMAP needs a user name", details={"field": "imap_user"})
    return data


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """What the form shows again: never the password."""
    return {**values, "imap_password": "", "smtp_password": ""}


async def _save(ctx: AppContext, data: mg.MailboxWrite, mailbox_id: int | None) -> mg.MailboxRead:
    found = await ctx.rpc.call("mail_gateway", "save_mailbox", data=data.model_dump(mode="json"), mailbox_id=mailbox_id)
    return mg.MailboxRead.model_validate(found)


async def _change(
    ctx: AppContext, admin: dict[str, Any], data: mg.MailboxWrite, mailbox_id: int | None, version: str | None
) -> mg.MailboxRead:
    """Every change of this module, audited as POST/PUT /api/v1/mailboxes are."""
    return await guarded_change(
        ctx,
        actor=ChangeActor.web(admin),
        object_type="mailbox",
        object_id=mailbox_id,
        action="create" if mailbox_id is None else "update",
        expected_version=version if mailbox_id is not None else None,
        load_before=(lambda: admin_objects.mailbox(ctx, mailbox_id)) if mailbox_id is not None else None,
        apply=lambda: _save(ctx, data, mailbox_id),
    )


async def _list_page(
    request: Request,
    ctx: AppContext,
    *,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "mailboxes": await _list(ctx),
        "fields": await _fields(ctx),
        "values": _shown(values) if values is not None else NEW,
        "errors": problems or {},
    }
    return common.render(request, "admin/mailboxes.html", context, status_code=status_code)


async def _edit_page(
    request: Request,
    ctx: AppContext,
    mailbox: mg.MailboxRead,
    *,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    check: mg.ConnectionCheck | None = None,
    oauth_values: dict[str, str] | None = None,
    oauth_errors: dict[str, str] | None = None,
    test: nt.MailboxTestResult | None = None,
    test_to: str = "",
    status_code: int = 200,
) -> Response:
    stored = {f.name: getattr(mailbox, f.name, None) for f in FIELDS}
    oauth = mailbox.oauth
    context = {
        "oauth": oauth,
        "oauth_values": oauth_values
        or (
            {
                "client_id": oauth.client_id or "",
                "scopes": oauth.scopes,
                "authorize_url": oauth.authorize_url,
                "token_url": oauth.token_url,
            }
            if oauth is not None and oauth.provider is mg.OAuthProvider.CUSTOM
            else {"client_id": (oauth.client_id or "") if oauth is not None else ""}
        ),
        "oauth_errors": oauth_errors or {},
        "redirect_uri": mailbox_oauth.redirect_uri(ctx),
        "provider_names": mailbox_oauth.PROVIDER_NAMES,
        "app_fields": mailbox_oauth.form_specs(mailbox_oauth.APP_FORM),
        "custom_fields": mailbox_oauth.form_specs(mailbox_oauth.CUSTOM_FORM),
        "mailbox": mailbox,
        "version": fingerprint(mailbox),
        "fields": await _fields(ctx),
        "values": _shown(values if values is not None else stored),
        "errors": problems or {},
        "check": check,
        "step": STEPS.get(check.step, check.step) if check is not None else "",
        "test": test,
        "test_to": test_to,
        "test_step": SEND_STEPS.get(test.step, test.step) if test is not None else "",
    }
    return common.render(request, "admin/mailbox.html", context, status_code=status_code)


def _problems(exc: Exception) -> dict[str, str]:
    problems = common.field_errors(exc, {f.name for f in FIELDS})
    if isinstance(exc, ValidationError):
        if "address" in problems:
            problems["address"] = "Enter the mailbox's address, e.g. support@example.com."
        if "imap_port" in problems:
            problems["imap_port"] = "A port is a number from 1 to 65535, e.g. 993."
        if "smtp_port" in problems:
            problems["smtp_port"] = "A port is a number from 1 to 65535, e.g. 587."
        if "imap_poll_seconds" in problems:
            problems["imap_poll_seconds"] = "A number of seconds from 1 to 86400."
    return problems


def _status(exc: Exception) -> int:
    if isinstance(exc, errors.DomainError):
        return errors.http_status(exc.code) if exc.code != errors.NOT_FOUND else 422
    return 422


async def _find(ctx: AppContext, mailbox_id: int) -> mg.MailboxRead | None:
    return next((m for m in await _list(ctx) if m.id == mailbox_id), None)


async def list_mailboxes(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _list_page(request, ctx)


async def create_mailbox(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    values = _form_values(form)
    try:
        saved = await _change(ctx, admin, _write(values), None, None)
    except (ValidationError, errors.DomainError) as exc:
        return await _list_page(request, ctx, values=values, problems=_problems(exc), status_code=_status(exc))
    s.flash(request, f"Mailbox {saved.address} added. Verify its IMAP settings from its page.", "ok")
    return RedirectResponse(f"{BASE}/{saved.id}", status_code=303)


async def edit_mailbox(mailbox_id: PageId, request: Request, ctx: Ctx, _admin: Admin) -> Response:
    found = await _find(ctx, mailbox_id)
    if found is None:
        return common.not_found(request, "mailbox")
    return await _edit_page(request, ctx, found)


async def update_mailbox(mailbox_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    found = await _find(ctx, mailbox_id)
    if found is None:
        return common.not_found(request, "mailbox")
    values = _form_values(form)
    try:
        saved = await _change(ctx, admin, _write(values), mailbox_id, common.text(form, "version") or None)
    except errors.VersionConflict:
        problems = {common.FORM_ERROR: common.conflict_message("mailbox")}
        current = await _find(ctx, mailbox_id) or found
        return await _edit_page(request, ctx, current, problems=problems, status_code=409)
    except (ValidationError, errors.DomainError) as exc:
        return await _edit_page(request, ctx, found, values=values, problems=_problems(exc), status_code=_status(exc))
    s.flash(request, f"Mailbox {saved.address} saved.", "ok")
    return RedirectResponse(BASE, status_code=303)


async def verify_mailbox(mailbox_id: PageId, request: Request, ctx: Ctx, _admin: Admin) -> Response:
    """Try the settings in the form (the stored password when the form has none), as POST .../verify does."""
    form = await checked_form(request)
    found = await _find(ctx, mailbox_id)
    if found is None:
        return common.not_found(request, "mailbox")
    values = _form_values(form)
    try:
        data = _write(values)
    except (ValidationError, errors.DomainError) as exc:
        return await _edit_page(request, ctx, found, values=values, problems=_problems(exc), status_code=_status(exc))
    payload = data.model_dump(mode="json")
    result = await ctx.rpc.call("mail_gateway", "verify_mailbox_connection", mailbox_id=mailbox_id, data=payload)
    check = mg.ConnectionCheck.model_validate(result)
    return await _edit_page(request, ctx, found, values=values, check=check)


async def send_test_mail(mailbox_id: PageId, request: Request, ctx: Ctx, _admin: Admin) -> Response:
    """Send a test message with the saved settings, as POST .../test-mail does; the result on the page."""
    form = await checked_form(request)
    found = await _find(ctx, mailbox_id)
    if found is None:
        return common.not_found(request, "mailbox")
    to = common.text(form, "to")
    try:
        result = await mailbox_test.send_test_mail(ctx, found, to)
    except ValidationError:
        problems = {"to": "Enter the address the test message goes to, e.g. you@example.com."}
        return await _edit_page(request, ctx, found, problems=problems, test_to=to, status_code=422)
    return await _edit_page(request, ctx, found, test=result, test_to=to)


async def connect_mailbox(mailbox_id: PageId, request: Request, ctx: Ctx, _admin: Admin) -> Response:
    """ "Connect with Microsoft/Google/custom": off to the provider's consent screen, or the form's problems."""
    form = await checked_form(request)
    found = await _find(ctx, mailbox_id)
    if found is None:
        return common.not_found(request, "mailbox")
    outcome = await mailbox_oauth.begin(request, ctx, form, found)
    if isinstance(outcome, Response):
        return outcome
    shown = mailbox_oauth.shown_values(form)
    return await _edit_page(request, ctx, found, oauth_values=shown, oauth_errors=outcome, status_code=422)


def install(router: APIRouter) -> None:
    common.add_section(
        "Channels",
        common.Section(
            BASE, "Mailboxes", "Addresses that receive mail, their IMAP and SMTP servers and default group."
        ),
    )
    router.add_api_route(BASE, list_mailboxes, methods=["GET"])
    router.add_api_route(BASE, create_mailbox, methods=["POST"])
    router.add_api_route(BASE + "/{mailbox_id}", edit_mailbox, methods=["GET"])
    router.add_api_route(BASE + "/{mailbox_id}", update_mailbox, methods=["POST"])
    router.add_api_route(BASE + "/{mailbox_id}/verify", verify_mailbox, methods=["POST"])
    router.add_api_route(BASE + "/{mailbox_id}/test-mail", send_test_mail, methods=["POST"])
    router.add_api_route(BASE + "/{mailbox_id}/oauth", connect_mailbox, methods=["POST"])
    mailbox_oauth.install(router)
