"""One check for every route that reaches a case by id (decision 0115).

An app-wide dependency: any route, API (`/api/v1/cases/{case_id}/...`) or UI (`/cases/{case_id}/...`),
whose path has a `case_id` asks the cases service once whether the caller may see that case. A case of
a restricted group the caller may not see answers exactly as a missing case does (404, same body), on
reads and writes alike, before the route runs. Admins see every case and skip the call; so do routes
without a case id and the few reads that scope themselves (SELF_SCOPED). Routes added later are covered
without doing anything.

Writes that name a case in their body (BODY_CASES: merge, link, a case's master `parent_id`) are checked
the same way, and a hidden case there answers exactly as the route answers an unknown id (decision 0192).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from starlette.responses import Response

from contracts import errors
from contracts import search as s
from contracts.bounds import MAX_ID
from gateway.context import AppContext
from gateway.ui import session
from gateway.ui.inbox import viewer_of

API_PREFIX = "/api/"
# Routes that already pass the caller as `viewer` to the cases service and answer 404 themselves: the
# check would only repeat their call (one RPC more on the hottest reads). test_case_scope.py proves them.
SELF_SCOPED = frozenset(
    {
        ("GET", "/api/v1/cases/{case_id}"),
        ("GET", "/api/v1/cases/{case_id}/messages"),
        ("GET", "/api/v1/cases/{case_id}/sla"),
        ("GET", "/api/v1/cases/{case_id}/viewers"),
        ("GET", "/cases/{case_id}"),
    }
)


def missing_case(case_id: int) -> errors.DomainError:
    """How a route answers a case id it cannot find (path, merge or link target)."""
    return errors.NotFound(message=f"case {case_id} not found", details={"case_id": case_id})


def missing_parent(case_id: int) -> errors.DomainError:
    """How the cases service answers an unknown `parent_id` (`cases.common.model_repo.require`)."""
    return errors.ValidationFailed(message=f"no parent {case_id}", details={"parent_id": case_id})


@dataclass(frozen=True)
class BodyCase:
    """A write that names a case in its body (JSON or form): that case must be visible too, or a hidden
    case could be merged into, linked from or made the master of a visible one. A hidden one answers
    exactly as the route answers a missing one (`missing`)."""

    method: str
    path: str  # the route's path template
    field: str
    missing: Callable[[int], errors.DomainError]


BODY_CASES = (
    BodyCase("POST", "/api/v1/cases/{case_id}/merge", "duplicate_id", missing_case),
    BodyCase("POST", "/cases/{case_id}/merge", "duplicate_id", missing_case),
    BodyCase("POST", "/api/v1/cases/{case_id}/links", "other_case_id", missing_case),
    BodyCase("POST", "/cases/{case_id}/links", "other_case_id", missing_case),
    BodyCase("POST", "/api/v1/cases", "parent_id", missing_parent),
    BodyCase("PATCH", "/api/v1/cases/{case_id}", "parent_id", missing_parent),
)


def _body_case(request: Request) -> BodyCase | None:
    path = getattr(request.scope.get("route"), "path", None)
    return next((b for b in BODY_CASES if b.method == request.method and b.path == path), None)


async def _body_case_id(request: Request, field: str) -> int | None:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()  # cached on the request: the route reads the same body
        except ValueError:
            return None  # the route answers the malformed body
        value = body.get(field) if isinstance(body, dict) else None
    else:
        value = (await request.form()).get(field)  # cached too
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None  # the route answers an id out of range
    return _in_range(value.strip()) if isinstance(value, str) else None


def _self_scoped(request: Request) -> bool:
    route = request.scope.get("route")
    return (request.method, getattr(route, "path", None)) in SELF_SCOPED


class CaseHiddenPage(Exception):
    """A UI page of a case the signed-in agent may not see (answered like an unknown case)."""

    def __init__(self, case_id: int) -> None:
        super().__init__(case_id)
        self.case_id = case_id


def _in_range(text: str) -> int | None:
    """The id written in `text`; None when it is no id a database could hold (the route answers 422)."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def _case_id(request: Request) -> int | None:
    raw = request.path_params.get("case_id")
    return _in_range(raw) if isinstance(raw, str) else None


async def _api_viewer(request: Request, ctx: AppContext) -> s.Viewer:
    # imported here: gateway.api.* import routers that are built before this module is used
    from gateway.api.deps import principal
    from gateway.api.search import viewer

    who = await principal(request)
    return await viewer(who, ctx)


async def may_see(ctx: AppContext, case_id: int, who: s.Viewer) -> bool:
    """True when `who` may see the case; False when it is unknown or hidden from them."""
    if who.is_admin:
        return True
    try:
        await ctx.cases.get_case(case_id=case_id, viewer=who)
    except errors.DomainError as exc:
        if exc.code == errors.NOT_FOUND:
            return False
        raise
    return True


async def check(request: Request) -> None:
    """The app-wide dependency (see the module doc)."""
    case_id = None if _self_scoped(request) else _case_id(request)
    named = _body_case(request)
    other = await _body_case_id(request, named.field) if named is not None else None
    if case_id is None and other is None:
        return  # most requests: nothing to check, no viewer to find
    ctx: AppContext = request.app.state.ctx
    api = request.url.path.startswith(API_PREFIX)
    if api:
        who = await _api_viewer(request, ctx)  # no key: 401, as the route itself would answer
    else:
        agent = session.signed_in(request)
        if agent is None:
            return  # the page redirects to sign in
        who = viewer_of(agent)
    if case_id is not None and not await may_see(ctx, case_id, who):
        if api:
            raise missing_case(case_id)
        raise CaseHiddenPage(case_id)
    if named is not None and other is not None and not await may_see(ctx, other, who):
        # as the route answers an unknown case there (the UI's merge/link forms re-raise not_found too)
        raise named.missing(other)


def install(app: FastAPI) -> None:
    """The UI's answer for a hidden case: the page of an unknown case."""
    from gateway.ui.routes import error_page

    @app.exception_handler(CaseHiddenPage)
    async def _hidden(request: Request, exc: CaseHiddenPage) -> Response:
        return error_page(request, 404, "Case not found", f"There is no case with id {exc.case_id}.")
