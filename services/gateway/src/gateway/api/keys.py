"""Route of /api/v1 that revokes an API key (decisions 0134, 0191): admins only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from starlette.concurrency import run_in_threadpool

from contracts import errors
from contracts.bounds import LaxId
from contracts.cases import AgentRole
from gateway import key_revocation
from gateway.access import ApiPrincipal
from gateway.api.deps import admin
from gateway.api.responses import FORBIDDEN
from gateway.context import AppContext, get_context

_ERROR = {"description": "Error", "content": {"application/json": {"example": {"error": {"code": "not_found"}}}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {401: _ERROR, 403: FORBIDDEN, 404: _ERROR, 409: _ERROR}

router = APIRouter(prefix="/api/v1", tags=["v1: API keys"], responses=_RESPONSES)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(
    key_id: Annotated[LaxId, Path(description="The API key id")],
    _who: Annotated[ApiPrincipal, Depends(admin)],
    ctx: Annotated[AppContext, Depends(get_context)],
) -> Response:
    """Revoke a key: refused at once by this gateway process, by the others within
    `GATEWAY_API_KEY_CACHE_SECONDS` (1 s by default). Revoking a revoked key again is a no-op.

    The last admin credential is kept: revoking the last live admin key while no active admin agent can
    sign in with a password answers 409 `last_admin_credential` and changes nothing (decision 0191)."""
    admins = [a for a in await ctx.cases.list_agents() if a.role is AgentRole.ADMIN]  # active agents only
    found = await run_in_threadpool(
        key_revocation.revoke,
        factory=ctx.db,
        key_id=key_id,
        admin_emails=[a.email for a in admins],
        admin_ids=[a.id for a in admins],
    )
    ctx.keys.forget(key_id)
    if not found:
        raise errors.NotFound(message=f"API key {key_id} not found", details={"key_id": key_id})
    return Response(status_code=204)
