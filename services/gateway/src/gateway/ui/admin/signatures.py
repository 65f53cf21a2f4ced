"""Greetings and signatures at their four levels (general < mailbox < agent < agent per mailbox), each editable,
and a preview of what an agent's mail from a mailbox carries, resolved by the cases service as notifications do."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import case_work as cw
from contracts import errors
from contracts import mail_gateway as mg
from gateway import admin_changes, admin_objects
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Field
from gateway.ui.routes import checked_form

BASE = "/admin/signatures"
NEW = "new"  # the version token of a level never set: saving it must not overwrite one set meanwhile
LEVEL_LABELS = {
    "general": "General (everyone, every mailbox)",
    "mailbox": "Mailbox",
    "personal": "Agent",
    "personal_mailbox": "Agent in one mailbox",
}
# how the preview names the level a part came from
LEVEL_SHORT = {"general": "general", "mailbox": "mailbox", "personal": "agent", "personal_mailbox": "agent-in-mailbox"}
FIELDS = {"agent_id", "mailbox", "greeting", "signature"}
_mailboxes = TypeAdapter(list[mg.MailboxRead])


async def _change(ctx: AppContext, admin: dict[str, Any], data: cw.SignatureSet) -> cw.SignatureRead:
    """Every signature change of the console: in the audit log as the API's (the page checked the version)."""
    return await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(admin),
        object_type="signature",
        object_id=admin_objects.signature_id(data.agent_id, data.mailbox),
        action="update",
        expected_version=None,
        load_before=lambda: admin_objects.signature(ctx, data.agent_id, data.mailbox),
        apply=lambda: ctx.cases.set_signature(data=data),
    )


def _mailbox_key(mailbox: str | None) -> str | None:
    return (mailbox or "").strip().lower() or None


def stored_level(levels: list[cw.SignatureRead], agent_id: int | None, mailbox: str | None) -> cw.SignatureRead | None:
    """The stored level of this agent and mailbox (either may be None), or None when it was never set."""
    wanted = _mailbox_key(mailbox)
    return next((lv for lv in levels if lv.agent_id == agent_id and _mailbox_key(lv.mailbox) == wanted), None)


async def mailbox_addresses(ctx: AppContext) -> list[str] | None:
    """The mail gateway's mailbox addresses for the pickers; None when it does not answer (free text still works)."""
    try:
        found = await ctx.rpc.call("mail_gateway", "list_mailboxes", timeout=3.0)
    except errors.DomainError:
        return None
    return [m.address for m in _mailboxes.validate_python(found)]


def _fields(agents: list[tuple[str, str]], mailboxes: list[tuple[str, str]]) -> list[dict[str, Any]]:
    specs = (
        (
            Field(
                "agent_id",
                "Agent",
                kind="select",
                help="Leave empty for a general or mailbox signature; choose an agent for their own.",
            ),
            agents,
        ),
        (
            Field(
                "mailbox",
                "Mailbox",
                kind="combobox",
                help="Leave empty for every mailbox; choose one, or type an address, for mail sent from it.",
            ),
            mailboxes,
        ),
        (Field("greeting", "Greeting", kind="textarea", help="Opens the mail, e.g. “Hello,”."), ()),
        (Field("signature", "Signature", kind="textarea", help="Closes the mail: name, team, phone."), ()),
    )
    return [{"f": f, "options": list(options)} for f, options in specs]


def _form_values(form: FormData) -> dict[str, Any]:
    agent = common.text(form, "agent_id")
    return {
        "agent_id": int(agent) if agent.isdigit() else (agent or None),
        "mailbox": common.text(form, "mailbox") or None,
        "greeting": common.text(form, "greeting"),
        "signature": common.text(form, "signature"),
    }


def _query_int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


async def _page(
    request: Request,
    ctx: AppContext,
    *,
    values: dict[str, Any] | None = None,
    version: str = NEW,
    errors_: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    agents = await ctx.cases.list_agents()
    levels = await ctx.cases.list_signatures()
    addresses = await mailbox_addresses(ctx)
    names = {a.id: a.name or a.email for a in agents}
    agent_options = [(str(a.id), f"{a.name} <{a.email}>" if a.name else a.email) for a in agents]
    known = list(dict.fromkeys([*(addresses or []), *(lv.mailbox for lv in levels if lv.mailbox)]))
    chosen_mailbox = (values or {}).get("mailbox")
    if chosen_mailbox and chosen_mailbox not in known:
        known.append(chosen_mailbox)  # a typed address keeps its place in the picker
    query = request.query_params
    # the preview starts with the signed-in admin writing from no particular mailbox
    preview_agent = _query_int(query.get("preview_agent", "")) or (s.signed_in(request) or {}).get("id")
    preview_mailbox = query.get("preview_mailbox", "").strip()[:320] or None
    preview = None
    if preview_agent is not None:
        try:
            preview = await ctx.cases.resolve_signature(agent_id=preview_agent, mailbox=preview_mailbox)
        except errors.DomainError as exc:
            errors_ = {**(errors_ or {}), "preview": exc.message}
    context = {
        "levels": levels,
        "level_labels": LEVEL_LABELS,
        "level_short": LEVEL_SHORT,
        "agent_names": names,
        "agent_options": agent_options,
        "mailboxes": known,
        "mailboxes_unavailable": addresses is None,
        "fields": _fields(agent_options, [(m, m) for m in known]),
        "values": values or {},
        "version": version,
        "errors": errors_ or {},
        "preview": preview,
        "preview_agent": preview_agent,
        "preview_mailbox": preview_mailbox,
        "editing": version != NEW,
    }
    return common.render(request, "admin/signatures.html", context, status_code=status_code)


async def signatures_page(
    request: Request, ctx: Ctx, _admin: Admin, edit: str = "", agent: str = "", mailbox: str = ""
) -> Response:
    """The stored levels, the form (with `edit`, filled with the level `agent`/`mailbox` pick), the preview."""
    if not edit:
        return await _page(request, ctx)
    agent_id = _query_int(agent)
    current = stored_level(await ctx.cases.list_signatures(), agent_id, mailbox or None)
    if current is None:
        values = {"agent_id": agent_id, "mailbox": mailbox.strip() or None}
        return await _page(request, ctx, values=values)
    return await _page(request, ctx, values=current.model_dump(), version=common.version_of(current))


async def save_signature(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    values = _form_values(form)
    expected = common.text(form, "version") or NEW
    try:
        data = cw.SignatureSet.model_validate(values)
    except ValidationError as exc:
        return await _page(request, ctx, values=values, version=expected, errors_=_errors(exc), status_code=422)
    current = stored_level(await ctx.cases.list_signatures(), data.agent_id, data.mailbox)
    # a level set meanwhile (or since this form showed it) is shown, never overwritten unseen
    if current is not None and expected != common.version_of(current):
        problems = {common.FORM_ERROR: common.conflict_message("signature")}
        version = common.version_of(current)
        return await _page(
            request, ctx, values=current.model_dump(), version=version, errors_=problems, status_code=409
        )
    try:
        saved = await _change(ctx, admin, data)
    except errors.DomainError as exc:
        status = 422 if exc.code == errors.NOT_FOUND else errors.http_status(exc.code)
        return await _page(request, ctx, values=values, version=expected, errors_=_errors(exc), status_code=status)
    s.flash(request, f"{LEVEL_LABELS[saved.level].split(' (')[0]} signature saved.", "ok")
    # straight to what it changes: the preview of the level's agent (or the admin) writing from its mailbox
    preview = {"preview_agent": saved.agent_id or admin["id"], "preview_mailbox": saved.mailbox or ""}
    return RedirectResponse(f"{BASE}?{urlencode(preview)}#preview", status_code=303)


def _errors(exc: Exception) -> dict[str, str]:
    found = common.field_errors(exc, FIELDS)
    if isinstance(exc, errors.DomainError) and exc.code == errors.NOT_FOUND:
        return {"agent_id": exc.message}  # the agent was deleted after the form was made
    return found


def install(router: APIRouter) -> None:
    common.add_section(
        "Channels",
        common.Section(
            BASE, "Signatures", "Greetings and signatures: general, per mailbox, per agent, with a preview."
        ),
    )
    router.add_api_route(BASE, signatures_page, methods=["GET"])
    router.add_api_route(BASE, save_signature, methods=["POST"])
