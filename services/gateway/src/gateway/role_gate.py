"""One check for every route a light agent may not call (decision 0196).

Part of the app-wide dependency (`gateway.app`): a light agent's write to any route not named in
`gateway.domain.roles.LIGHT_AGENT_WRITES`, and the few reads refused to them, answer 403 `role_forbidden`
(the API) or a 403 page (the agent UI) before the route runs. Reads and other callers cost nothing here:
the caller is looked up only for a call a light agent may not make.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from contracts import errors
from contracts.cases import AgentRole
from gateway.domain import roles
from gateway.ui import session

API_PREFIX = "/api/"


class RoleForbiddenPage(Exception):
    """A page or form of the agent UI the signed-in agent's role does not allow."""

    def __init__(self, error: errors.DomainError) -> None:
        super().__init__(error.message)
        self.message = error.message


def refuse(request: Request, error: errors.DomainError) -> Exception:
    """The refusal as the caller reads it: the API's error body, or the agent UI's 403 page."""
    return error if request.url.path.startswith(API_PREFIX) else RoleForbiddenPage(error)


async def check(request: Request) -> None:
    """The app-wide dependency (see the module doc)."""
    path = getattr(request.scope.get("route"), "path", None)
    if roles.light_agent_may(request.method, path):
        return
    if request.url.path.startswith(API_PREFIX):
        from gateway.api.deps import principal  # its routers are built before this module is used

        role = (await principal(request)).role  # no key: 401, as the route itself would answer
    else:
        agent = session.signed_in(request)
        if agent is None:
            return  # the page redirects to sign in
        role = session.role(agent)
    if role is AgentRole.LIGHT_AGENT:
        raise refuse(request, roles.forbidden(role, AgentRole.AGENT, f"{request.method} {path}"))


def install(app: FastAPI) -> None:
    """The UI's answer to a refused page or form: a 403 page saying what is needed."""
    from gateway.ui.routes import error_page

    @app.exception_handler(RoleForbiddenPage)
    async def _forbidden(request: Request, exc: RoleForbiddenPage) -> Response:
        return error_page(request, 403, "Not allowed for your role", exc.message)
