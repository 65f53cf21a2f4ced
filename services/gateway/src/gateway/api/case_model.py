"""REST API v1 of the case model and the directory: history, types, statuses, fields, settings,
contacts, organisations, groups and agents."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel
from starlette.responses import Response

from contracts import case_config, directory
from contracts import cases as c
from contracts.bounds import Flag, FlagText, LaxId
from gateway import admin_objects as objects
from gateway import agent_changes
from gateway.access import ApiPrincipal
from gateway.api import search as search_api
from gateway.api import versioned as v
from gateway.api.changes import (
    CONFLICT,
    ETAG_HEADER,
    AdminChange,
    AdminCreate,
    WriterChange,
    WriterCreate,
    versioned,
)
from gateway.api.deps import principal, require, writer
from gateway.api.responses import FORBIDDEN
from gateway.context import AppContext, get_context
from gateway.domain import api_keys, roles

PREFIX = "/api/v1"
T = TypeVar("T")
_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "not_found"}}}}}
_COMMON: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 404: _ERROR, 422: _ERROR, 503: _ERROR}

router = APIRouter(prefix=PREFIX, tags=["v1"], responses=_COMMON, dependencies=[Depends(principal)])

Ctx = Annotated[AppContext, Depends(get_context)]
Reader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_READ))]
Writer = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_WRITE))]
DirectoryReader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_DIRECTORY_READ))]
Id = Annotated[LaxId, Path()]
FieldName = Annotated[str, Path(max_length=100)]


class _List(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = None


HistoryList = _List[case_config.HistoryEntry]
TypeList = _List[v.CaseTypeItem]
StatusList = _List[v.CaseStatusItem]
FieldList = _List[v.CustomFieldItem]
FieldConfigList = _List[v.FieldConfigItem]
OrganisationList = _List[v.OrganisationItem]
ContactList = _List[directory.ContactDetail]
GroupDetailList = _List[directory.GroupRead]


class FieldConfigWrite(BaseModel):
    used: Flag = True
    hidden: Flag = False
    required: Flag = False


# -- history -----------------------------------------------------------------------------------


@router.get("/cases/{case_id}/history", response_model=HistoryList)
async def case_history(case_id: Id, ctx: Ctx, _who: Reader) -> HistoryList:
    """Every change of a case, oldest first: field, old and new value, who, when, through which channel (B10)."""
    return HistoryList(items=await ctx.cases.get_case_history(case_id=case_id))


# -- configuration -----------------------------------------------------------------------------


@router.get("/case-types", response_model=TypeList)
async def list_types(ctx: Ctx, _who: Reader) -> TypeList:
    """Case types (Fault, Order, Other and the admin's own) with their instructions."""
    return TypeList.model_validate({"items": v.with_versions(await ctx.cases.list_case_types())})


@router.get("/case-types/{type_id}", response_model=case_config.CaseTypeRead, responses={200: {"headers": ETAG_HEADER}})
async def get_type(type_id: Id, ctx: Ctx, _who: Reader) -> Response:
    """One case type; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.case_type(ctx, type_id))


@router.post("/case-types", status_code=201, response_model=case_config.CaseTypeRead)
async def create_type(data: case_config.CaseTypeWrite, change: AdminCreate) -> Response:
    """Add a case type (admin)."""
    saved = await change(
        "case_type", None, "create", load_before=None, apply=lambda: change.ctx.cases.save_case_type(data=data)
    )
    return versioned(saved, 201)


@router.put("/case-types/{type_id}", response_model=case_config.CaseTypeRead, responses=CONFLICT)
async def update_type(type_id: Id, data: case_config.CaseTypeWrite, change: AdminChange) -> Response:
    """Rename a case type, change its instructions or retire it (admin)."""
    ctx = change.ctx
    saved = await change(
        "case_type",
        type_id,
        "update",
        load_before=lambda: objects.case_type(ctx, type_id),
        apply=lambda: ctx.cases.save_case_type(data=data, type_id=type_id),
    )
    return versioned(saved)


SourceList = _List[v.CaseSourceItem]
SourceKeyPath = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[a-z][a-z0-9_]*$")]


@router.get("/sources", response_model=SourceList)
async def list_sources(ctx: Ctx, _who: Reader) -> SourceList:
    """The admin's list of sources (A7): how cases come in. A case's `source` is one of the keys; agents and API
    callers choose from the active ones; built-in ones are those the system sets itself (mail, portal, SMS...)."""
    return SourceList.model_validate({"items": v.with_versions(await ctx.cases.list_case_sources())})


@router.put("/sources/{key}", response_model=case_config.CaseSourceRead, responses=CONFLICT)
async def save_source(key: SourceKeyPath, data: case_config.CaseSourceWrite, change: AdminChange) -> Response:
    """Add a source under `key` (lower-case letters, digits, `_`), or rename, hide (`active: false`) or move one
    (admin). Sources are never deleted: cases keep theirs."""
    ctx = change.ctx
    saved = await change(
        "case_source",
        key,
        "update",
        load_before=lambda: objects.case_source(ctx, key),
        apply=lambda: ctx.cases.save_case_source(key=key, data=data),
    )
    return versioned(saved)


@router.get("/case-statuses", response_model=StatusList)
async def list_statuses(ctx: Ctx, _who: Reader) -> StatusList:
    """Statuses and the fixed category each belongs to (new/open/waiting/dormant/resolved/closed)."""
    return StatusList.model_validate({"items": v.with_versions(await ctx.cases.list_case_statuses())})


@router.get(
    "/case-statuses/{status_id}", response_model=case_config.CaseStatusRead, responses={200: {"headers": ETAG_HEADER}}
)
async def get_status(status_id: Id, ctx: Ctx, _who: Reader) -> Response:
    """One status; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.case_status(ctx, status_id))


@router.post("/case-statuses", status_code=201, response_model=case_config.CaseStatusRead)
async def create_status(data: case_config.CaseStatusWrite, change: AdminCreate) -> Response:
    """Add a status on a category (admin)."""
    saved = await change(
        "case_status", None, "create", load_before=None, apply=lambda: change.ctx.cases.save_case_status(data=data)
    )
    return versioned(saved, 201)


@router.put("/case-statuses/{status_id}", response_model=case_config.CaseStatusRead, responses=CONFLICT)
async def update_status(status_id: Id, data: case_config.CaseStatusWrite, change: AdminChange) -> Response:
    """Rename a status; a built-in one keeps its category (admin)."""
    ctx = change.ctx
    saved = await change(
        "case_status",
        status_id,
        "update",
        load_before=lambda: objects.case_status(ctx, status_id),
        apply=lambda: ctx.cases.save_case_status(data=data, status_id=status_id),
    )
    return versioned(saved)


@router.get("/custom-fields", response_model=FieldList)
async def list_custom_fields(ctx: Ctx, _who: Reader) -> FieldList:
    """Admin-defined case fields (text, number, date, select)."""
    return FieldList.model_validate({"items": v.with_versions(await ctx.cases.list_custom_fields())})


@router.get(
    "/custom-fields/{field_id}", response_model=case_config.CustomFieldRead, responses={200: {"headers": ETAG_HEADER}}
)
async def get_custom_field(field_id: Id, ctx: Ctx, _who: Reader) -> Response:
    """One custom field; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.custom_field(ctx, field_id))


@router.post("/custom-fields", status_code=201, response_model=case_config.CustomFieldRead)
async def create_custom_field(data: case_config.CustomFieldWrite, change: AdminCreate) -> Response:
    """Define a custom field (admin)."""
    saved = await change(
        "custom_field", None, "create", load_before=None, apply=lambda: change.ctx.cases.save_custom_field(data=data)
    )
    return versioned(saved, 201)


@router.put("/custom-fields/{field_id}", response_model=case_config.CustomFieldRead, responses=CONFLICT)
async def update_custom_field(field_id: Id, data: case_config.CustomFieldWrite, change: AdminChange) -> Response:
    """Change a custom field's label, options or used/hidden/required; its key stays (admin)."""
    ctx = change.ctx
    saved = await change(
        "custom_field",
        field_id,
        "update",
        load_before=lambda: objects.custom_field(ctx, field_id),
        apply=lambda: ctx.cases.save_custom_field(data=data, field_id=field_id),
    )
    return versioned(saved)


@router.get("/field-config", response_model=FieldConfigList)
async def list_field_config(ctx: Ctx, _who: Reader) -> FieldConfigList:
    """Used/hidden/required of each built-in optional field (H2)."""
    return FieldConfigList.model_validate({"items": v.with_versions(await ctx.cases.list_field_configs())})


@router.get(
    "/field-config/{field}", response_model=case_config.FieldConfigRead, responses={200: {"headers": ETAG_HEADER}}
)
async def get_field_config(field: FieldName, ctx: Ctx, _who: Reader) -> Response:
    """One built-in optional field's configuration; its `ETag` is the version to send as `If-Match`."""
    return versioned(await objects.field_config(ctx, field))


@router.put("/field-config/{field}", response_model=case_config.FieldConfigRead, responses=CONFLICT)
async def set_field_config(field: FieldName, data: FieldConfigWrite, change: AdminChange) -> Response:
    """Switch a built-in optional field off, hide it or make it required (admin)."""
    ctx = change.ctx
    body = case_config.FieldConfigRead(field=field, **data.model_dump())
    saved = await change(
        "field_config",
        field,
        "update",
        load_before=lambda: objects.configurable_field(ctx, field),  # any other field: cases refuses it (422)
        apply=lambda: ctx.cases.save_field_config(data=body),
    )
    return versioned(saved)


@router.get("/settings/cases", response_model=case_config.CaseSettings, responses={200: {"headers": ETAG_HEADER}})
async def get_settings(ctx: Ctx, _who: Reader) -> Response:
    """Automation (reply rules, closed-case replies), concurrency strictness, holding unknown senders."""
    return versioned(await objects.case_settings(ctx))


@router.patch("/settings/cases", response_model=case_config.CaseSettings, responses=CONFLICT)
async def update_settings(changes: case_config.CaseSettings, change: AdminChange) -> Response:
    """Change some settings; those not sent keep their value (admin)."""
    ctx = change.ctx
    saved = await change(
        "case_settings",
        None,
        "update",
        load_before=lambda: objects.case_settings(ctx),
        apply=lambda: ctx.cases.update_case_settings(changes=changes),
    )
    return versioned(saved)


# -- directory ---------------------------------------------------------------------------------


@router.get("/contacts", response_model=ContactList)
async def list_contacts(
    ctx: Ctx,
    _who: DirectoryReader,
    q: Annotated[str | None, Query(max_length=200, description="Part of a name or address")] = None,
    approved: Annotated[FlagText | None, Query(description="false: contacts awaiting approval")] = None,
    organisation: Annotated[LaxId | None, Query(description="Organisation id")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> ContactList:
    """Contacts, newest first, a page at a time."""
    page = await ctx.cases.list_contacts(
        q=q, approved=approved, organisation_id=organisation, cursor=cursor, limit=limit
    )
    return ContactList(items=page.items, next=page.next)


@router.post("/contacts", status_code=201, response_model=directory.ContactDetail)
async def create_contact(data: directory.ContactWrite, change: WriterCreate) -> Response:
    """Add a contact with one or more addresses, a phone and an organisation (in the audit log)."""
    ctx = change.ctx
    actor = await writer(change.who, ctx)
    saved = await change(
        "contact", None, "create", load_before=None, apply=lambda: ctx.cases.save_contact(data=data, actor=actor)
    )
    return versioned(saved, 201)


@router.get("/contacts/{contact_id}", response_model=directory.ContactDetail, responses={200: {"headers": ETAG_HEADER}})
async def get_contact(contact_id: Id, ctx: Ctx, _who: DirectoryReader) -> Response:
    """One contact; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.contact(ctx, contact_id))


@router.patch("/contacts/{contact_id}", response_model=directory.ContactDetail, responses=CONFLICT)
async def update_contact(contact_id: Id, data: directory.ContactWrite, change: WriterChange) -> Response:
    """Change a contact; `approved: true` releases its held cases (in the audit log)."""
    ctx = change.ctx
    actor = await writer(change.who, ctx)
    saved = await change(
        "contact",
        contact_id,
        "update",
        load_before=lambda: objects.contact(ctx, contact_id),
        apply=lambda: ctx.cases.save_contact(data=data, actor=actor, contact_id=contact_id),
    )
    return versioned(saved)


@router.get("/contacts/{contact_id}/cases", response_model=c.CasePage)
async def contact_cases(
    contact_id: Id,
    ctx: Ctx,
    who: Reader,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> c.CasePage:
    """All cases the contact requested that the caller may see, newest first."""
    await ctx.cases.get_contact(contact_id=contact_id)  # 404 for an unknown contact
    filters = c.CaseFilter(requester_id=contact_id, cursor=cursor, limit=limit)
    return await search_api.list_cases(ctx, who, filters)  # scoped to the caller


@router.get("/organisations", response_model=OrganisationList)
async def list_organisations(ctx: Ctx, _who: DirectoryReader) -> OrganisationList:
    """All organisations."""
    return OrganisationList.model_validate({"items": v.with_versions(await ctx.cases.list_organisations())})


@router.get(
    "/organisations/{organisation_id}",
    response_model=directory.OrganisationRead,
    responses={200: {"headers": ETAG_HEADER}},
)
async def get_organisation(organisation_id: Id, ctx: Ctx, _who: DirectoryReader) -> Response:
    """One organisation; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.organisation(ctx, organisation_id))


def _mail_trust(organisation: directory.OrganisationWrite | directory.OrganisationRead | None) -> tuple[object, ...]:
    if organisation is None:
        return ((), False, False)
    return (
        tuple(sorted(d.strip().lower() for d in organisation.domains)),
        organisation.colleagues_join_publicly,
        organisation.members_see_cases,
    )


def _only_admins_change_mail_trust(
    who: ApiPrincipal, data: directory.OrganisationWrite, current: directory.OrganisationRead | None
) -> None:
    """An organisation's mail domains decide whose replies join its cases publicly, and `members_see_cases` who
    sees its cases in the portal: only an admin sets them."""
    if _mail_trust(data) != _mail_trust(current):
        roles.require_admin(
            who.role, "changing an organisation's mail domains, whether colleagues join publicly or see its cases"
        )


@router.post("/organisations", status_code=201, response_model=directory.OrganisationRead, responses={403: FORBIDDEN})
async def create_organisation(data: directory.OrganisationWrite, change: WriterCreate) -> Response:
    """Add an organisation (in the audit log). Mail domains, `colleagues_join_publicly` and `members_see_cases`
    (its contacts see all its cases in the portal) need an admin (403 `role_forbidden`)."""
    _only_admins_change_mail_trust(change.who, data, None)
    saved = await change(
        "organisation", None, "create", load_before=None, apply=lambda: change.ctx.cases.save_organisation(data=data)
    )
    return versioned(saved, 201)


@router.put(
    "/organisations/{organisation_id}",
    response_model=directory.OrganisationRead,
    responses={**CONFLICT, 403: FORBIDDEN},
)
async def update_organisation(organisation_id: Id, data: directory.OrganisationWrite, change: WriterChange) -> Response:
    """Change an organisation: name, mail domains, colleagues joining publicly (in the audit log; 422
    `free_mail_domain` for a free-mail domain). Changing the mail domains, `colleagues_join_publicly` or
    `members_see_cases` (its contacts see all its cases in the portal) needs an admin (403 `role_forbidden`); an
    agent may rename."""
    ctx = change.ctx
    _only_admins_change_mail_trust(change.who, data, await objects.organisation(ctx, organisation_id))
    saved = await change(
        "organisation",
        organisation_id,
        "update",
        load_before=lambda: objects.organisation(ctx, organisation_id),
        apply=lambda: ctx.cases.save_organisation(data=data, organisation_id=organisation_id),
    )
    return versioned(saved)


@router.get("/groups/{group_id}", response_model=directory.GroupRead, responses={200: {"headers": ETAG_HEADER}})
async def get_group(group_id: Id, ctx: Ctx, _who: DirectoryReader) -> Response:
    """One group with its members' agent ids; its `ETag` is the version to send as `If-Match`."""
    return versioned(await objects.group(ctx, group_id))


@router.post("/groups", status_code=201, response_model=directory.GroupRead)
async def create_group(data: directory.GroupWrite, change: AdminCreate) -> Response:
    """Add a group, optionally with its members (admin)."""
    saved = await change(
        "group", None, "create", load_before=None, apply=lambda: change.ctx.cases.save_group(data=data)
    )
    return versioned(saved, 201)


@router.put("/groups/{group_id}", response_model=directory.GroupRead, responses=CONFLICT)
async def update_group(group_id: Id, data: directory.GroupWrite, change: AdminChange) -> Response:
    """Rename a group; `member_ids` (when sent) becomes its exact membership (admin)."""
    ctx = change.ctx
    saved = await change(
        "group",
        group_id,
        "update",
        load_before=lambda: objects.group(ctx, group_id),
        apply=lambda: ctx.cases.save_group(data=data, group_id=group_id),
    )
    return versioned(saved)


@router.delete("/groups/{group_id}", status_code=204, response_class=Response, responses=CONFLICT)
async def delete_group(group_id: Id, change: AdminChange) -> Response:
    """Delete a group with no cases, tasks or templates left (422 otherwise); its SLA policies go with it (admin)."""
    ctx = change.ctx
    await change(
        "group",
        group_id,
        "delete",
        load_before=lambda: objects.group(ctx, group_id),
        apply=lambda: ctx.cases.delete_group(group_id=group_id),
    )
    return Response(status_code=204)


@router.get("/agents/{agent_id}", response_model=c.AgentRead, responses={200: {"headers": ETAG_HEADER}})
async def get_agent(agent_id: Id, ctx: Ctx, _who: DirectoryReader) -> Response:
    """One agent, active or not; its `ETag` is the version to send as `If-Match` when changing it."""
    return versioned(await objects.agent(ctx, agent_id))


@router.post("/agents", status_code=201, response_model=c.AgentRead)
async def create_agent(data: agent_changes.AgentCreate, change: AdminCreate) -> Response:
    """Add an agent, optionally in groups (admin). With `"invite": true` (email and name required), the agent
    is mailed a single-use link to the agent UI, valid 24 hours, where they choose their password."""
    saved = await agent_changes.create(change.ctx, actor=change.actor, data=data, request_id=change.request_id)
    return versioned(saved, 201)


@router.patch("/agents/{agent_id}", response_model=c.AgentRead, responses=CONFLICT)
async def update_agent(agent_id: Id, data: directory.AgentWrite, change: AdminChange) -> Response:
    """Change an agent; `group_ids` (when sent) becomes its exact membership (admin).

    A new `role` signs the agent out of the agent UI and applies to their API keys from the next request.
    The last active admin keeps the role and stays active: 409 `last_admin`."""
    saved = await agent_changes.update(
        change.ctx,
        actor=change.actor,
        agent_id=agent_id,
        data=data,
        expected_version=change.expected_version,
        request_id=change.request_id,
    )
    return versioned(saved)
