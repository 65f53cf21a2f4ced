"""One admin object by id, as its owning service returns it (404 `not_found` when there is none).

What an item read answers (with its version as ETag), what an admin change compares `If-Match` with, and
what the audit log keeps as `before`. The owning services list these objects; a list is short (configuration),
so one is picked from it rather than adding a read per type to every service.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from contracts import case_config, directory, errors
from contracts import case_work as cw
from contracts import cases as c
from contracts import forms as f
from contracts import mail_gateway as mg
from contracts.notifications import CustomerMailSettingsRead, SuppressionRead
from contracts.sla import BusinessCalendarRead, SlaPolicyRead
from gateway import access
from gateway.context import AppContext

T = TypeVar("T")
_mailboxes = TypeAdapter(list[mg.MailboxRead])
_suppressions = TypeAdapter(list[SuppressionRead])


def _pick(items: Iterable[T], object_id: object, what: str, key: str = "id") -> T:
    for item in items:
        if getattr(item, key) == object_id:
            return item
    raise errors.NotFound(message=f"{what.replace('_', ' ')} {object_id} not found", details={f"{what}_id": object_id})


async def case_type(ctx: AppContext, type_id: int) -> case_config.CaseTypeRead:
    return _pick(await ctx.cases.list_case_types(), type_id, "type")


async def form(ctx: AppContext, form_id: int) -> f.FormRead:
    return await ctx.cases.get_form(form_id=form_id)


async def case_source(ctx: AppContext, key: str) -> case_config.CaseSourceRead | None:
    """The source under `key`, or None: a PUT of a new key creates it."""
    return next((s for s in await ctx.cases.list_case_sources() if s.key == key), None)


async def case_status(ctx: AppContext, status_id: int) -> case_config.CaseStatusRead:
    return _pick(await ctx.cases.list_case_statuses(), status_id, "status")


async def custom_field(ctx: AppContext, field_id: int) -> case_config.CustomFieldRead:
    return _pick(await ctx.cases.list_custom_fields(), field_id, "field")


async def field_config(ctx: AppContext, field: str) -> case_config.FieldConfigRead:
    found = await configurable_field(ctx, field)
    if found is None:
        raise errors.NotFound(message=f"field {field} not found", details={"field": field})
    return found


async def configurable_field(ctx: AppContext, field: str) -> case_config.FieldConfigRead | None:
    """A built-in optional field's configuration; None for a field that cannot be configured (cases says why)."""
    return next((f for f in await ctx.cases.list_field_configs() if f.field == field), None)


async def case_settings(ctx: AppContext) -> case_config.CaseSettings:
    return await ctx.cases.get_case_settings()


async def organisation(ctx: AppContext, organisation_id: int) -> directory.OrganisationRead:
    return _pick(await ctx.cases.list_organisations(), organisation_id, "organisation")


async def contact(ctx: AppContext, contact_id: int) -> directory.ContactDetail:
    return await ctx.cases.get_contact(contact_id=contact_id)


async def group(ctx: AppContext, group_id: int) -> directory.GroupRead:
    return _pick(await ctx.cases.list_groups_detail(), group_id, "group")


async def agent(ctx: AppContext, agent_id: int) -> c.AgentRead:
    """Active or not (a change of nothing reads the agent: cases lists active agents only)."""
    return await ctx.cases.save_agent(data=directory.AgentWrite(), agent_id=agent_id)


async def template(ctx: AppContext, template_id: int) -> cw.TemplateRead:
    return _pick(await ctx.cases.list_templates(), template_id, "template")


async def canned_reply(ctx: AppContext, reply_id: int) -> cw.CannedReplyRead:
    return _pick(await ctx.cases.list_canned_replies(), reply_id, "canned_reply")


async def recurrence(ctx: AppContext, recurrence_id: int) -> cw.RecurrenceRead:
    return _pick(await ctx.cases.list_recurrences(), recurrence_id, "recurrence")


async def signature(ctx: AppContext, agent_id: int | None, mailbox: str | None) -> cw.SignatureRead | None:
    """The stored level of this agent and mailbox (either may be None), or None when it was never set."""
    wanted = (mailbox or "").strip().lower() or None
    for found in await ctx.cases.list_signatures():
        if found.agent_id == agent_id and ((found.mailbox or "").lower() or None) == wanted:
            return found
    return None


def signature_id(agent_id: int | None, mailbox: str | None) -> str:
    """How the audit log names a signature level: it is set by agent and mailbox, not by id."""
    return f"agent={agent_id or ''};mailbox={(mailbox or '').strip().lower()}"


async def sla_policy(ctx: AppContext, policy_id: int) -> SlaPolicyRead:
    return _pick(await ctx.cases.list_sla_policies(), policy_id, "policy")


async def business_calendar(ctx: AppContext, calendar_id: int) -> BusinessCalendarRead:
    return _pick(await ctx.cases.list_business_calendars(), calendar_id, "calendar")


async def mailbox(ctx: AppContext, mailbox_id: int) -> mg.MailboxRead:
    found = _mailboxes.validate_python(await ctx.rpc.call("mail_gateway", "list_mailboxes"))
    return _pick(found, mailbox_id, "mailbox")


async def suppression(ctx: AppContext, address: str) -> SuppressionRead:
    rows = _suppressions.validate_python(await ctx.rpc.call("notifications", "list_suppressions", address=address))
    lowered = address.strip().lower()
    for row in rows:
        if row.address.lower() == lowered:
            return row
    raise errors.NotFound(message=f"{address} is not suppressed", details={"address": address})


async def customer_mail(ctx: AppContext, organisation_id: int | None) -> CustomerMailSettingsRead:
    """The workspace's customer mail settings (None) or one organisation's (404 for an unknown one)."""
    if organisation_id is not None:
        await organisation(ctx, organisation_id)
    found = await ctx.rpc.call("notifications", "get_customer_mail_settings", organisation_id=organisation_id)
    return CustomerMailSettingsRead.model_validate(found)


async def api_key(ctx: AppContext, key_id: int) -> access.ApiKeyRead:
    found = await run_in_threadpool(access.get_api_key, factory=ctx.db, key_id=key_id)
    if found is None:
        raise errors.NotFound(message=f"API key {key_id} not found", details={"key_id": key_id})
    return found
