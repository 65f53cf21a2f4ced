"""REST API v1 of the case model and the directory: history, types, statuses, fields, settings,
contacts, organisations, groups and agents."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel
from starlette.responses import Response

from contracts import case_config, directory, errors
from contracts import cases as c
from contracts.bounds import Flag, FlagText, LaxId
from gateway.access import ApiPrincipal
from gateway.api import accounts as accounts_api
from gateway.api import search as search_api
from gateway.api.deps import admin, principal, require, writer
from gateway.api.responses import FORBIDDEN
from gateway.context import AppContext, get_context
from gateway.domain import api_keys

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


# configuration and the directory's agents and groups are changed by admins only
Admin = Annotated[ApiPrincipal, Depends(admin)]


class _List(BaseModel, Generic[T]):
    items: list[T]
    next: str | None = None


HistoryList = _List[case_config.HistoryEntry]
TypeList = _List[case_config.CaseTypeRead]
StatusList = _List[case_config.CaseStatusRead]
FieldList = _List[case_config.CustomFieldRead]
FieldConfigList = _List[case_config.FieldConfigRead]
OrganisationList = _List[directory.OrganisationRead]
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
    return TypeList(items=await ctx.cases.list_case_types())


@router.post("/case-types", status_code=201, response_model=case_config.CaseTypeRead)
async def create_type(data: case_config.CaseTypeWrite, ctx: Ctx, _who: Admin) -> case_config.CaseTypeRead:
    """Add a case type (admin)."""
    return await ctx.cases.save_case_type(data=data)


@router.put("/case-types/{type_id}", response_model=case_config.CaseTypeRead)
async def update_type(type_id: Id, data: case_config.CaseTypeWrite, ctx: Ctx, _who: Admin) -> case_config.CaseTypeRead:
    """Rename a case type, change its instructions or retire it (admin)."""
    return await ctx.cases.save_case_type(data=data, type_id=type_id)


@router.get("/case-statuses", response_model=StatusList)
async def list_statuses(ctx: Ctx, _who: Reader) -> StatusList:
    """Statuses and the fixed category each belongs to (new/open/waiting/dormant/resolved/closed)."""
    return StatusList(items=await ctx.cases.list_case_statuses())


@router.post("/case-statuses", status_code=201, response_model=case_config.CaseStatusRead)
async def create_status(data: case_config.CaseStatusWrite, ctx: Ctx, _who: Admin) -> case_config.CaseStatusRead:
    """Add a status on a category (admin)."""
    return await ctx.cases.save_case_status(data=data)


@router.put("/case-statuses/{status_id}", response_model=case_config.CaseStatusRead)
async def update_status(
    status_id: Id, data: case_config.CaseStatusWrite, ctx: Ctx, _who: Admin
) -> case_config.CaseStatusRead:
    """Rename a status; a built-in one keeps its category (admin)."""
    return await ctx.cases.save_case_status(data=data, status_id=status_id)


@router.get("/custom-fields", response_model=FieldList)
async def list_custom_fields(ctx: Ctx, _who: Reader) -> FieldList:
    """Admin-defined case fields (text, number, date, select)."""
    return FieldList(items=await ctx.cases.list_custom_fields())


@router.post("/custom-fields", status_code=201, response_model=case_config.CustomFieldRead)
async def create_custom_field(data: case_config.CustomFieldWrite, ctx: Ctx, _who: Admin) -> case_config.CustomFieldRead:
    """Define a custom field (admin)."""
    return await ctx.cases.save_custom_field(data=data)


@router.put("/custom-fields/{field_id}", response_model=case_config.CustomFieldRead)
async def update_custom_field(
    field_id: Id, data: case_config.CustomFieldWrite, ctx: Ctx, _who: Admin
) -> case_config.CustomFieldRead:
    """Change a custom field's label, options or used/hidden/required; its key stays (admin)."""
    return await ctx.cases.save_custom_field(data=data, field_id=field_id)


@router.get("/field-config", response_model=FieldConfigList)
async def list_field_config(ctx: Ctx, _who: Reader) -> FieldConfigList:
    """Used/hidden/required of each built-in optional field (H2)."""
    return FieldConfigList(items=await ctx.cases.list_field_configs())


@router.put("/field-config/{field}", response_model=case_config.FieldConfigRead)
async def set_field_config(
    field: Annotated[str, Path(max_length=100)], data: FieldConfigWrite, ctx: Ctx, _who: Admin
) -> case_config.FieldConfigRead:
    """Switch a built-in optional field off, hide it or make it required (admin)."""
    body = case_config.FieldConfigRead(field=field, **data.model_dump())
    return await ctx.cases.save_field_config(data=body)


@router.get("/settings/cases", response_model=case_config.CaseSettings)
async def get_settings(ctx: Ctx, _who: Reader) -> case_config.CaseSettings:
    """Automation (reply rules, closed-case replies), concurrency strictness, holding unknown senders."""
    return await ctx.cases.get_case_settings()


@router.patch("/settings/cases", response_model=case_config.CaseSettings)
async def update_settings(changes: case_config.CaseSettings, ctx: Ctx, _who: Admin) -> case_config.CaseSettings:
    """Change some settings; those not sent keep their value (admin)."""
    return await ctx.cases.update_case_settings(changes=changes)


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
async def create_contact(data: directory.ContactWrite, ctx: Ctx, who: Writer) -> directory.ContactDetail:
    """Add a contact with one or more addresses, a phone and an organisation."""
    actor = await writer(who, ctx)
    return await ctx.cases.save_contact(data=data, actor=actor)


@router.get("/contacts/{contact_id}", response_model=directory.ContactDetail)
async def get_contact(contact_id: Id, ctx: Ctx, _who: DirectoryReader) -> directory.ContactDetail:
    """One contact."""
    return await ctx.cases.get_contact(contact_id=contact_id)


@router.patch("/contacts/{contact_id}", response_model=directory.ContactDetail)
async def update_contact(
    contact_id: Id, data: directory.ContactWrite, ctx: Ctx, who: Writer
) -> directory.ContactDetail:
    """Change a contact; `approved: true` releases its held cases."""
    actor = await writer(who, ctx)
    return await ctx.cases.save_contact(data=data, actor=actor, contact_id=contact_id)


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
    return OrganisationList(items=await ctx.cases.list_organisations())


@router.post("/organisations", status_code=201, response_model=directory.OrganisationRead)
async def create_organisation(data: directory.OrganisationWrite, ctx: Ctx, _who: Writer) -> directory.OrganisationRead:
    """Add an organisation."""
    return await ctx.cases.save_organisation(data=data)


@router.put("/organisations/{organisation_id}", response_model=directory.OrganisationRead)
async def update_organisation(
    organisation_id: Id, data: directory.OrganisationWrite, ctx: Ctx, _who: Writer
) -> directory.OrganisationRead:
    """Rename an organisation."""
    return await ctx.cases.save_organisation(data=data, organisation_id=organisation_id)


@router.get("/groups/{group_id}", response_model=directory.GroupRead)
async def get_group(group_id: Id, ctx: Ctx, _who: DirectoryReader) -> directory.GroupRead:
    """One group with its members' agent ids."""
    groups: list[directory.GroupRead] = await ctx.cases.list_groups_detail()
    for group in groups:
        if group.id == group_id:
            return group
    raise errors.NotFound(message=f"group {group_id} not found", details={"group_id": group_id})


@router.post("/groups", status_code=201, response_model=directory.GroupRead)
async def create_group(data: directory.GroupWrite, ctx: Ctx, _who: Admin) -> directory.GroupRead:
    """Add a group, optionally with its members (admin)."""
    return await ctx.cases.save_group(data=data)


@router.put("/groups/{group_id}", response_model=directory.GroupRead)
async def update_group(group_id: Id, data: directory.GroupWrite, ctx: Ctx, _who: Admin) -> directory.GroupRead:
    """Rename a group; `member_ids` (when sent) becomes its exact membership (admin)."""
    return await ctx.cases.save_group(data=data, group_id=group_id)


@router.delete("/groups/{group_id}", status_code=204, response_class=Response)
async def delete_group(group_id: Id, ctx: Ctx, _who: Admin) -> Response:
    """Delete a group with no cases, tasks or templates left (422 otherwise); its SLA policies go with it (admin)."""
    await ctx.cases.delete_group(group_id=group_id)
    return Response(status_code=204)


@router.post("/agents", status_code=201, response_model=c.AgentRead)
async def create_agent(data: accounts_api.AgentCreate, ctx: Ctx, who: Admin) -> c.AgentRead:
    """Add an agent, optionally in groups (admin). With `"invite": true` (email and name required), the agent
    is mailed a single-use link to the agent UI, valid 24 hours, where they choose their password."""
    return await accounts_api.create_agent(data, ctx, who)


@router.patch("/agents/{agent_id}", response_model=c.AgentRead)
async def update_agent(agent_id: Id, data: directory.AgentWrite, ctx: Ctx, _who: Admin) -> c.AgentRead:
    """Change an agent; `group_ids` (when sent) becomes its exact membership (admin).

    A new `role` signs the agent out of the agent UI and applies to their API keys from the next request.
    The last active admin keeps the role: 409 `last_admin`."""
    return await accounts_api.update_agent(agent_id, data, ctx)
