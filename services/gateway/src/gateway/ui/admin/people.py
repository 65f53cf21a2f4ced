"""Admin areas of people: agents (invite, edit, deactivate and reactivate, resend the invitation, end their
sessions) and groups (members, restricted, delete). Agents' changes go through `gateway.agent_changes`, the
use cases the API calls, so the console and the API check and audit the same way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, PrivateAttr, ValidationError
from pydantic import Field as ModelField
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import cases as c
from contracts import directory, errors
from contracts.bounds import MAX_IDS, LaxId
from gateway import accounts, admin_objects, agent_changes
from gateway.admin_changes import ChangeActor, fingerprint
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Area, Field, mount
from gateway.ui.routes import checked_form
from gateway.ui.session import PageId

PEOPLE = "People"
BASE = "/admin/agents"
T = TypeVar("T")
ROLES = (
    (c.AgentRole.AGENT.value, "Agent"),
    (c.AgentRole.LIGHT_AGENT.value, "Light agent"),
    (c.AgentRole.ADMIN.value, "Admin"),
)
ROLE_LABELS = dict(ROLES)
ROLE_HELP = (
    "An agent works every case they may see; a light agent reads their groups' cases and writes internal notes "
    "only; an admin also runs this console."
)


# -- agents --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRow:
    """An agent as the console lists them: the directory's record and what the gateway knows of their sign-in."""

    agent: c.AgentRead
    groups: list[str]
    active: bool
    has_password: bool
    invited_until: datetime | None

    @property
    def sign_in(self) -> str:
        if self.has_password:
            return "Password set"
        if self.invited_until is not None:
            return "Invited, not signed up yet"
        return "No password yet"


async def _group_options(ctx: AppContext) -> list[tuple[str, str]]:
    return [(str(g.id), g.name) for g in await ctx.cases.list_groups()]


def _agent_fields(groups: list[tuple[str, str]], *, creating: bool) -> list[dict[str, Any]]:
    fields = [Field("name", "Name", required=True)]
    if creating:
        fields.append(Field("email", "Email", kind="email", required=True, help="The invitation goes to this address."))
    fields += [
        Field("role", "Role", kind="select", required=True, help=ROLE_HELP),
        Field("group_ids", "Groups", kind="multiselect", help="The agent works the cases of these groups."),
    ]
    options = {"group_ids": groups, "role": list(ROLES)}
    return [{"f": f, "options": options.get(f.name, [])} for f in fields]


async def _rows(ctx: AppContext) -> list[AgentRow]:
    """Active agents from cases, and the deactivated ones the gateway remembers (cases lists active ones only)."""
    active = await ctx.cases.list_agents()
    states = await run_in_threadpool(accounts.account_states, factory=ctx.db)
    by_email = {st.email: st for st in states}
    known = {a.id for a in active}
    agents: list[tuple[c.AgentRead, bool]] = [(a, True) for a in active]
    for st in states:
        if st.deactivated and st.agent_id is not None and st.agent_id not in known:
            known.add(st.agent_id)
            agents.append((await admin_objects.agent(ctx, st.agent_id), False))
    names = dict(await _group_options(ctx))
    rows = []
    for agent, is_active in agents:
        st = by_email.get(agent.email.lower())
        rows.append(
            AgentRow(
                agent=agent,
                groups=[names.get(str(g), f"#{g}") for g in agent.group_ids],
                active=is_active,
                has_password=bool(st and st.has_password),
                invited_until=st.invited_until if st else None,
            )
        )
    rows.sort(key=lambda r: (not r.active, r.agent.name.lower(), r.agent.id))
    return rows


def _ids(raw: list[str]) -> list[int | str]:
    """Ids picked in a form arrive as text; anything else stays text and is refused by the write model."""
    return [int(v) if v.isdigit() and len(v) < 12 else v for v in raw]


def _form_values(form: FormData, *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": common.text(form, "name"),
        "role": common.text(form, "role") or None,
        "group_ids": _ids(common.texts(form, "group_ids")),
    }
    if creating:
        values["email"] = common.text(form, "email")
    return values


async def _list_page(
    request: Request,
    ctx: AppContext,
    *,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "rows": await _rows(ctx),
        "fields": _agent_fields(await _group_options(ctx), creating=True),
        "values": values or {"role": c.AgentRole.AGENT.value, "group_ids": []},
        "role_labels": ROLE_LABELS,
        "errors": problems or {},
    }
    return common.render(request, "admin/agents.html", context, status_code=status_code)


async def _agent_page(
    request: Request,
    ctx: AppContext,
    agent_id: int,
    *,
    values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    account_error: str = "",
    status_code: int = 200,
) -> Response:
    row = next((r for r in await _rows(ctx) if r.agent.id == agent_id), None)
    if row is None:
        try:  # an agent deactivated before the gateway kept accounts: cases still knows them
            agent = await admin_objects.agent(ctx, agent_id)
        except errors.DomainError as exc:
            if exc.code != errors.NOT_FOUND:
                raise
            return common.not_found(request, "agent")
        row = AgentRow(agent=agent, groups=[], active=False, has_password=False, invited_until=None)
    stored = {"name": row.agent.name, "role": row.agent.role.value, "group_ids": row.agent.group_ids}
    context = {
        "row": row,
        "agent": row.agent,
        "version": fingerprint(row.agent),
        "fields": _agent_fields(await _group_options(ctx), creating=False),
        "values": values if values is not None else stored,
        "errors": problems or {},
        "account_error": account_error,
        "is_self": int(s.require_agent(request)["id"]) == agent_id,
    }
    return common.render(request, "admin/agent.html", context, status_code=status_code)


def _status(exc: Exception) -> int:
    if isinstance(exc, errors.DomainError):
        return errors.http_status(exc.code) if exc.code != errors.NOT_FOUND else 422
    return 422


async def _change(ctx: AppContext, admin: dict[str, Any], run: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
    """Every change of this module: the use case the API calls, with the signed-in admin as the audited actor."""
    return await run(ctx, actor=ChangeActor.web(admin), **kwargs)


async def list_agents(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _list_page(request, ctx)


async def invite_agent(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    values = _form_values(form, creating=True)
    fields = {"name", "email", "role", "group_ids"}
    if not values["name"]:
        problems = {"name": "Enter the agent's name: the invitation greets them with it."}
        return await _list_page(request, ctx, values=values, problems=problems, status_code=422)
    try:
        data = agent_changes.AgentCreate.model_validate({**values, "invite": True})
        agent = await _change(ctx, admin, agent_changes.create, data=data)
    except (ValidationError, errors.DomainError) as exc:
        problems = common.field_errors(exc, fields)
        if isinstance(exc, ValidationError) and "email" in problems:
            problems["email"] = "Enter the agent's email address, e.g. nina@example.com."
        return await _list_page(request, ctx, values=values, problems=problems, status_code=_status(exc))
    s.flash(request, f"{agent.name} is invited: a link to choose a password is on its way to {agent.email}.", "ok")
    return RedirectResponse(BASE, status_code=303)


async def edit_agent(agent_id: PageId, request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _agent_page(request, ctx, agent_id)


async def update_agent(agent_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    values = _form_values(form, creating=False)
    try:
        data = directory.AgentWrite.model_validate(values)
        await _change(
            ctx,
            admin,
            agent_changes.update,
            agent_id=agent_id,
            data=data,
            expected_version=common.text(form, "version") or None,
        )
    except errors.VersionConflict:
        problems = {common.FORM_ERROR: common.conflict_message("agent")}
        return await _agent_page(request, ctx, agent_id, problems=problems, status_code=409)
    except (ValidationError, errors.DomainError) as exc:
        problems = common.field_errors(exc, set(values))
        if isinstance(exc, errors.DomainError) and exc.code == errors.LAST_ADMIN:
            problems = {"role": ACCOUNT_MESSAGES[errors.LAST_ADMIN]}
        return await _agent_page(request, ctx, agent_id, values=values, problems=problems, status_code=_status(exc))
    s.flash(request, f"{values['name']} is saved.", "ok")
    return RedirectResponse(BASE, status_code=303)


ACCOUNT_ACTIONS: dict[str, tuple[Callable[..., Awaitable[Any]], str]] = {
    "deactivate": (agent_changes.deactivate, "is deactivated: signed out everywhere, their API keys refused."),
    "reactivate": (agent_changes.reactivate, "is active again and can sign in with their password."),
    "invite": (agent_changes.resend_invite, "gets a new invitation; the links sent before stop working."),
    "sessions": (agent_changes.end_sessions, "is signed out everywhere."),
}
ACCOUNT_MESSAGES = {
    errors.LAST_ADMIN: "This is the last active admin: make another agent an admin first.",
    errors.DEACTIVATE_SELF: "You cannot deactivate yourself: ask another admin.",
    errors.AGENT_DEACTIVATED: "This agent is deactivated: reactivate them before inviting them again.",
}


def _account_route(action: str) -> Callable[..., Awaitable[Response]]:
    run, done = ACCOUNT_ACTIONS[action]

    async def route(agent_id: PageId, request: Request, ctx: Ctx, admin: Admin) -> Response:
        await checked_form(request)
        try:
            agent = await admin_objects.agent(ctx, agent_id)
            await _change(ctx, admin, run, agent_id=agent_id)
        except errors.DomainError as exc:
            if exc.code == errors.NOT_FOUND:
                return common.not_found(request, "agent")
            message = ACCOUNT_MESSAGES.get(exc.code, exc.message)
            return await _agent_page(request, ctx, agent_id, account_error=message, status_code=_status(exc))
        s.flash(request, f"{agent.name} {done}", "ok")
        return RedirectResponse(f"{BASE}/{agent_id}", status_code=303)

    route.__name__ = f"agent_{action}"
    return route


# -- groups --------------------------------------------------------------------------------------------------


class GroupForm(directory.GroupWrite):
    """The group form: the members picked arrive as text."""

    member_ids: list[LaxId] | None = ModelField(default=None, max_length=MAX_IDS)


class GroupRow(directory.GroupRead):
    """A group as cases returns it (its version and audit entry are the API's), with its members' names for the
    list (a private attribute: not part of the object)."""

    _members: list[str] = PrivateAttr(default_factory=list)

    @property
    def members(self) -> list[str]:
        return self._members


async def _agent_options(ctx: AppContext) -> list[tuple[str, str]]:
    return [(str(a.id), f"{a.name} ({a.email})") for a in await ctx.cases.list_agents()]


async def _groups(ctx: AppContext) -> list[GroupRow]:
    names = {a.id: a.name for a in await ctx.cases.list_agents()}
    rows = []
    for group in await ctx.cases.list_groups_detail():
        row = GroupRow(**group.model_dump())
        row._members = [names[i] for i in group.member_ids if i in names]
        rows.append(row)
    return rows


async def _save_group(ctx: AppContext, data: BaseModel, item_id: int | None) -> directory.GroupRead:
    assert isinstance(data, directory.GroupWrite)
    return await ctx.cases.save_group(data=data, group_id=item_id)


async def _delete_group(ctx: AppContext, item_id: int) -> None:
    await ctx.cases.delete_group(group_id=item_id)


GROUPS = Area(
    path="groups",
    title="Groups",
    singular="group",
    object_type="group",
    description="Teams of agents: members, members-only (restricted) groups, the group a mailbox files into.",
    group=PEOPLE,
    fields=(
        Field("name", "Name", required=True),
        Field("member_ids", "Members", kind="multiselect", options=_agent_options),
        Field(
            "restricted",
            "Restricted: only members and admins see its cases",
            kind="checkbox",
        ),
    ),
    columns=(("name", "Name"), ("members", "Members"), ("restricted", "Restricted")),
    write_model=GroupForm,
    list_items=_groups,
    save=_save_group,
    delete=_delete_group,
)


def install(router: APIRouter) -> None:
    common.add_section(
        PEOPLE, common.Section(BASE, "Agents", "Invite agents, set who is admin and their groups, deactivate.")
    )
    router.add_api_route(BASE, list_agents, methods=["GET"])
    router.add_api_route(BASE, invite_agent, methods=["POST"])
    router.add_api_route(BASE + "/{agent_id}", edit_agent, methods=["GET"])
    router.add_api_route(BASE + "/{agent_id}", update_agent, methods=["POST"])
    for action in ACCOUNT_ACTIONS:
        router.add_api_route(f"{BASE}/{{agent_id}}/{action}", _account_route(action), methods=["POST"])
    mount(router, GROUPS)
