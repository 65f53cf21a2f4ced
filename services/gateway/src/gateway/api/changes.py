"""What an admin write of the API needs (decision 0198): the caller as audit actor, its `If-Match` and
`X-Request-ID`, and the version of an item read (`ETag`). Routes call `change(...)`, which is
`gateway.admin_changes.guarded_change` with these filled in."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header
from fastapi.responses import JSONResponse

from contracts import errors
from gateway.access import ApiPrincipal
from gateway.admin_changes import ChangeActor, etag, fingerprint, guarded_change, if_match_token, new_request_id
from gateway.api.deps import principal, require, writer
from gateway.api.responses import ERROR
from gateway.context import AppContext, get_context
from gateway.domain import api_keys, roles
from gateway.domain.audit import as_json

T = TypeVar("T")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
# what every guarded write may answer besides its own errors: a stale If-Match
CONFLICT: dict[int | str, dict[str, Any]] = {409: ERROR}

IfMatch = Annotated[
    str | None,
    Header(
        max_length=200,
        description="The `ETag` (or `version`) you read: a change made since answers 409 `version_conflict` with"
        " the current object in `details.current`, and nothing changes. Without it the write goes through.",
    ),
]
RequestId = Annotated[
    str | None,
    Header(
        alias="X-Request-ID",
        max_length=100,
        description="Your id of this request, kept in the audit log (letters, digits, `._:-`; ours otherwise)",
    ),
]


@dataclass(frozen=True)
class ApiChange:
    """One admin write of the API: who, the version it expects (None: no check) and the request's id."""

    ctx: AppContext
    who: ApiPrincipal
    actor: ChangeActor
    expected_version: str | None
    request_id: str

    async def __call__(
        self,
        object_type: str,
        object_id: object,
        action: str,
        *,
        load_before: Callable[[], Awaitable[Any]] | None,
        apply: Callable[[], Awaitable[T]],
    ) -> T:
        return await guarded_change(
            self.ctx,
            actor=self.actor,
            object_type=object_type,
            object_id=object_id,
            action=action,
            expected_version=self.expected_version,
            load_before=load_before,
            apply=apply,
            request_id=self.request_id,
        )


def parse_request_id(value: str | None) -> str:
    """The caller's `X-Request-ID` (422 when malformed), or a new one."""
    if value is None:
        return new_request_id()
    if not _REQUEST_ID.match(value):
        message = "X-Request-ID must be 1-100 letters, digits or ._:-"
        raise errors.ValidationFailed(message=message, details={"x_request_id": value})
    return value


async def api_actor(who: ApiPrincipal, ctx: AppContext) -> ChangeActor:
    """The caller for the audit log: the agent the key acts as (by id and name, asked of cases), else the key."""
    actor = ChangeActor.api(who)
    if actor.type != "agent":
        return actor
    agent = await writer(who, ctx)  # also links a key known by its agent's email to the agent's id
    if agent.id is None:
        return actor
    return replace(actor, agent_id=agent.id, name=agent.name, email=agent.email or actor.email)


def ensure_admin(who: ApiPrincipal, doing: str = "this change") -> ApiPrincipal:
    """Admins only: 403 `role_forbidden` naming the role needed (decision 0195)."""
    roles.require_admin(who.role, doing)
    return who


async def _admin_change(
    ctx: Annotated[AppContext, Depends(get_context)],
    who: Annotated[ApiPrincipal, Depends(principal)],
    if_match: IfMatch = None,
    x_request_id: RequestId = None,
) -> ApiChange:
    ensure_admin(who)
    return ApiChange(ctx, who, await api_actor(who, ctx), if_match_token(if_match), parse_request_id(x_request_id))


async def _admin_create(
    ctx: Annotated[AppContext, Depends(get_context)],
    who: Annotated[ApiPrincipal, Depends(principal)],
    x_request_id: RequestId = None,
) -> ApiChange:
    ensure_admin(who)
    return ApiChange(ctx, who, await api_actor(who, ctx), None, parse_request_id(x_request_id))


async def _writer_change(
    ctx: Annotated[AppContext, Depends(get_context)],
    who: Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_WRITE))],
    if_match: IfMatch = None,
    x_request_id: RequestId = None,
) -> ApiChange:
    return ApiChange(ctx, who, await api_actor(who, ctx), if_match_token(if_match), parse_request_id(x_request_id))


async def _writer_create(
    ctx: Annotated[AppContext, Depends(get_context)],
    who: Annotated[ApiPrincipal, Depends(require(api_keys.SCOPE_CASES_WRITE))],
    x_request_id: RequestId = None,
) -> ApiChange:
    return ApiChange(ctx, who, await api_actor(who, ctx), None, parse_request_id(x_request_id))


# an admin key's change of an existing object (If-Match), and an admin key's create (no If-Match)
AdminChange = Annotated[ApiChange, Depends(_admin_change)]
AdminCreate = Annotated[ApiChange, Depends(_admin_create)]
# the same for what any key with cases:write may change (contacts, organisations, own signatures)
WriterChange = Annotated[ApiChange, Depends(_writer_change)]
WriterCreate = Annotated[ApiChange, Depends(_writer_create)]


def versioned(obj: Any, status_code: int = 200) -> JSONResponse:
    """An object's JSON with its version as the `ETag` (send it back in `If-Match`)."""
    return JSONResponse(as_json(obj), status_code=status_code, headers={"ETag": etag(fingerprint(obj))})


ETAG_HEADER: dict[str, Any] = {"ETag": {"description": "The version: send it as `If-Match` when changing it"}}
