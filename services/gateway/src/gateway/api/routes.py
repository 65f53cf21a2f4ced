"""Routes of /api/v1: parse, call a use case, shape the HTTP answer. No business rules here."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from contracts import cases as c
from contracts import errors
from contracts.bounds import LaxId
from contracts.forms import CaseDetail
from contracts.reports import OpenCasesReport
from gateway import handlers, idempotency, outbound
from gateway.access import ApiPrincipal
from gateway.api import search as search_api
from gateway.api.deps import principal, require, writer
from gateway.api.responses import FORBIDDEN
from gateway.api.schemas import AgentList, ApiCaseCreate, ApiMessageCreate, GroupList, MessageList
from gateway.context import AppContext, get_context
from gateway.domain import api_keys, roles
from gateway.domain import idempotency as idem
from gateway.domain.preconditions import etag, expected_version

PREFIX = "/api/v1"

_ERROR_EXAMPLE = {"error": {"code": "not_found", "message": "...", "details": None}}
_ERROR = {"description": "Error", "content": {"application/json": {"example": _ERROR_EXAMPLE}}}
_COMMON: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 422: _ERROR, 503: _ERROR}

router = APIRouter(prefix=PREFIX, tags=["v1"], responses=_COMMON, dependencies=[Depends(principal)])

CaseId = Annotated[LaxId, Path(description="The case id")]
Ctx = Annotated[AppContext, Depends(get_context)]
Reader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_READ))]
Writer = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_WRITE))]
DirectoryReader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_DIRECTORY_READ))]
ReportsReader = Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_REPORTS_READ))]


def case_location(case_id: int) -> str:
    return f"{PREFIX}/cases/{case_id}"


def _case_response(case: c.CaseRead | dict[str, Any], status_code: int = 200, **headers: str) -> JSONResponse:
    body = case.model_dump(mode="json") if isinstance(case, c.CaseRead) else case
    return JSONResponse(body, status_code=status_code, headers={"ETag": etag(int(body["version"])), **headers})


# the hottest read first: a router's routes are tried in the order they are defined (decision 0165)
@router.get("/cases/{case_id}", response_model=CaseDetail, responses={404: _ERROR})
async def get_case(case_id: CaseId, ctx: Ctx, who: Reader) -> Response:
    """One case; its `ETag` is the version to send back in `If-Match` when changing it. A case a customer opened
    with a department form carries `form`: the form's name and every answer (`key`, `label`, `type`, `page`,
    `value`, `maps_to`) as asked; other cases have `"form": null`."""
    viewer = await search_api.viewer(who, ctx)  # restricted groups
    # the cases service's answer as it came (a CaseRead it validated; decision 0136): not validated again,
    # and its bytes leave as they arrived, read only for the ETag's version, not encoded again (0159)
    body = await ctx.cases.get_case.json(case_id=case_id, viewer=viewer)
    return Response(body, media_type="application/json", headers={"ETag": etag(int(json.loads(body)["version"]))})


@router.post("/cases", status_code=201, response_model=c.CaseRead, responses={409: _ERROR})
async def create_case(
    data: ApiCaseCreate,
    ctx: Ctx,
    who: Writer,
    idempotency_key: Annotated[str | None, Header(description="Same key + same body => the same case")] = None,
) -> JSONResponse:
    """Open a case. With an Idempotency-Key, a retry returns the first answer instead of a second case."""
    actor = await writer(who, ctx)
    create = c.CaseCreate.model_validate(data.model_dump())
    if create.mailbox is not None:  # customer mail of the case goes out from it: only one of ours
        create = create.model_copy(update={"mailbox": await outbound.check_mailbox(ctx, str(create.mailbox))})
    if idempotency_key is None:
        case = await ctx.cases.create_case(data=create, actor=actor)
        return _case_response(case, 201, Location=case_location(case.id))
    if not idem.valid_key(idempotency_key):
        raise errors.ValidationFailed(message="Idempotency-Key must be 1-200 printable characters")
    incoming = idem.request_hash(create.model_dump(mode="json"))
    stored = await run_in_threadpool(idempotency.find, factory=ctx.db, owner=who.owner, key=idempotency_key)
    decision = idem.decide(stored_hash=stored.request_hash if stored else None, incoming_hash=incoming)
    if decision is idem.Replay.NEW:
        case = await ctx.cases.create_case(
            data=create,
            actor=actor,
            # cases dedupes too, so two concurrent first tries still make one case
            idempotency_key=idem.cases_idempotency_key(owner=who.owner, key=idempotency_key),
        )
        stored = await run_in_threadpool(
            idempotency.save,
            factory=ctx.db,
            owner=who.owner,
            key=idempotency_key,
            request_hash=incoming,
            status_code=201,
            body=case.model_dump(mode="json"),
        )
        decision = idem.decide(stored_hash=stored.request_hash, incoming_hash=incoming)
    assert stored is not None
    if decision is idem.Replay.CONFLICT:
        message = "this Idempotency-Key was used with a different request body"
        raise errors.DomainError(errors.IDEMPOTENCY_CONFLICT, message, {"key": idempotency_key})
    return _case_response(stored.body, stored.status_code, Location=case_location(int(stored.body["id"])))


@router.post("/cases/email", status_code=201, response_model=c.CaseRead, responses={413: _ERROR})
async def start_email_case(data: outbound.EmailCaseCreate, ctx: Ctx, who: Writer) -> JSONResponse:
    """Start a case by writing to a contact (A7): the case (`source` from the admin's list, `email` by default)
    gets the contact as requester and `body` as its first public reply, which is mailed from `mailbox` with our
    signed Message-ID, so the contact's answer threads back onto the case. `inform_contact` may not be `never`.
    """
    actor = await writer(who, ctx)
    uploads = outbound.decoded(data.attachments)
    try:
        case, _message = await outbound.start_email_case(ctx, actor=actor, data=data, uploads=uploads)
    except outbound.MailNotSent as exc:
        raise errors.DomainError(
            errors.SERVICE_UNAVAILABLE,
            f"case #{exc.case.number} was created, but its mail was not posted: {exc.reason}",
            {"case_id": exc.case.id},
        ) from exc
    fresh = await ctx.cases.get_case(case_id=case.id)  # after the reply: its status and first response
    return _case_response(fresh, 201, Location=case_location(case.id))


@router.get("/cases", response_model=c.CasePage)
async def list_cases(ctx: Ctx, who: Reader, filters: search_api.CaseFilters) -> c.CasePage:
    """Cases matching the filters (advanced search, `sort`, full text `q`), only those the
    caller may see, a page at a time: follow `next` until it is null. See docs/search.md."""
    return await search_api.list_cases(ctx, who, filters)


@router.patch("/cases/{case_id}", response_model=c.CaseRead, responses={404: _ERROR, 409: _ERROR, 428: _ERROR})
async def update_case(
    case_id: CaseId,
    changes: c.CaseUpdate,
    ctx: Ctx,
    who: Writer,
    if_match: Annotated[str | None, Header(description='The version you read, e.g. "3" (from ETag)')] = None,
) -> JSONResponse:
    """Change fields; a stale If-Match gets 409 version_conflict with the current case in details.current."""
    version = expected_version(if_match)
    actor = await writer(who, ctx)
    case = await ctx.cases.update_case(case_id=case_id, changes=changes, expected_version=version, actor=actor)
    return _case_response(case)


@router.get("/cases/{case_id}/messages", response_model=MessageList, responses={404: _ERROR})
async def list_messages(case_id: CaseId, ctx: Ctx, who: Reader, visibility: c.Visibility | None = None) -> MessageList:
    """The conversation of a case, oldest first (public replies and internal notes)."""
    viewer = await search_api.viewer(who, ctx)  # restricted groups
    items = await ctx.cases.list_messages(case_id=case_id, visibility=visibility, viewer=viewer)
    return MessageList(items=items)


@router.post("/cases/{case_id}/messages", status_code=201, response_model=c.MessageRead, responses={404: _ERROR})
async def add_message(case_id: CaseId, data: ApiMessageCreate, ctx: Ctx, who: Writer) -> c.MessageRead:
    """Add a public reply (mailed to the requester) or an internal note (agents only).
    A light agent writes internal notes only: their public reply answers 403 `role_forbidden`."""
    create = c.MessageCreate.model_validate(data.model_dump())
    roles.refuse_public_reply(who.role, create.visibility is c.Visibility.PUBLIC)
    actor = await writer(who, ctx)
    return await ctx.cases.add_message(case_id=case_id, data=create, actor=actor)


@router.get("/groups", response_model=GroupList)
async def list_groups(ctx: Ctx, _who: DirectoryReader) -> GroupList:
    """All groups."""
    return GroupList(items=await ctx.cases.list_groups())


@router.get("/agents", response_model=AgentList)
async def list_agents(ctx: Ctx, _who: DirectoryReader) -> AgentList:
    """All agents."""
    return AgentList(items=await ctx.cases.list_agents())


@router.get("/reports/open-cases", response_model=OpenCasesReport)
async def open_cases_report(ctx: Ctx, who: ReportsReader) -> OpenCasesReport:
    """Open cases by status and by group, counting only the cases the key's agent may see: a restricted
    group the agent is not in is left out, with its cases (unless assigned to that agent)."""
    viewer = await search_api.viewer(who, ctx)
    return await handlers.open_cases_report(rpc=ctx.rpc, cases=ctx.cases, viewer=viewer)
