"""One check for every route a light agent may not call (decision 0196).

Part of the app-wide dependency (`gateway.app`): a light agent's write to any route not named in
`gateway.domain.roles.LIGHT_AGENT_WRITES`, and the few reads refused to them, answer 403 `role_forbidden`
(the API) or a 403 page (the agent UI, `gateway.ui.session.RoleForbiddenPage`) before the route runs.
Reads cost nothing here; for other calls the caller is the one the route finds anyway (kept on the request)."""

from __future__ import annotations

from fastapi import Request

from contracts import errors
from contracts.cases import AgentRole
from gateway.domain import roles
from gateway.ui import session

API_PREFIX = "/api/"


def refuse(request: Request, error: errors.DomainError) -> Exception:
    """The refusal as the caller reads it: the API's error body, or the agent UI's 403 page."""
    return error if request.url.path.startswith(API_PREFIX) else session.RoleForbiddenPage(error.message)


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
        api = request.url.path.startswith(API_PREFIX)
        doing = f"{request.method} {path}" if api else "this page" if request.method in roles.READS else "this form"
        raise refuse(request, roles.forbidden(role, AgentRole.AGENT, doing))
