"""The signed-in agent (a server-side session, decision 0190), flash messages, and the templates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response

from chassis.sessions import SESSION_ID_KEY, SessionStore, session_data, set_session_data
from chassis.web_security import ensure_csrf_token
from contracts import cases as c
from contracts.bounds import LaxId
from gateway.accounts import session_owner
from gateway.domain.mail_images import PageImages

# an id in a page's address: a number the database can hold, else the page answers 404 (app.py)
PageId = Annotated[LaxId, PathParam()]
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))


def _mail_body(message: c.MessageRead, images: object = None) -> dict[str, Any]:
    """A message's HTML body for the page (remote images blocked unless `images` shows them, decision 0245).

    A page that passes no `images` (an htmx fragment) shows no remote image: the safe default."""
    page = images if isinstance(images, PageImages) else PageImages()
    body = page.body(message)
    # nh3 output is safe by construction; every img src in it was decided by gateway.domain.mail_images
    html = Markup(body.html)  # noqa: S704
    return {"html": html, "blocked": body.blocked, "shown": body.shown, "trusted": page.trusts(message)}


TEMPLATES.env.globals["mail_body"] = _mail_body
AGENT_KEY = "agent"


class LoginRequired(Exception):
    """Raised by pages when nobody is signed in; answered with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class RoleForbiddenPage(Exception):
    """A page or form the signed-in agent's role does not allow; answered with a 403 page saying why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def signed_in(request: Request) -> dict[str, Any] | None:
    """The agent of this session ({id, email, name, role, is_admin}) or None; the session is looked up in Redis."""
    data = session_data(request)
    agent = data.get(AGENT_KEY) if data else None
    return agent if isinstance(agent, dict) and "id" in agent else None


def require_agent(request: Request) -> dict[str, Any]:
    """Dependency of every page: the signed-in agent, or a redirect to sign in."""
    agent = signed_in(request)
    if agent is None:
        query = request.url.query
        raise LoginRequired(request.url.path + (f"?{query}" if query else ""))
    return agent


async def sign_in(request: Request, store: SessionStore, agent: c.AgentRead) -> None:
    """Start a fresh server-side session (a new CSRF token too: nothing survives from before sign-in)."""
    # is_admin: derived from the role, for pages that ask only that
    who = {
        "id": agent.id,
        "email": agent.email,
        "name": agent.name,
        "role": agent.role.value,
        "is_admin": agent.is_admin,
    }
    data = {AGENT_KEY: who}
    sid = await store.create(owner=session_owner(agent.id), data=data)
    request.session.clear()
    request.session[SESSION_ID_KEY] = sid
    ensure_csrf_token(request.session)
    set_session_data(request, data)


async def rename(request: Request, store: SessionStore, name: str) -> None:
    """The signed-in agent's new name, in this session from now on (the top bar shows it)."""
    data = session_data(request)
    sid = request.session.get(SESSION_ID_KEY)
    if not data or not isinstance(sid, str) or not isinstance(data.get(AGENT_KEY), dict):
        return
    changed = {**data, AGENT_KEY: {**data[AGENT_KEY], "name": name}}
    await store.update(sid, changed)
    set_session_data(request, changed)


async def sign_out(request: Request, store: SessionStore) -> None:
    """End this session on the server: the cookie, or any copy of it, signs nobody in any more."""
    sid = request.session.get(SESSION_ID_KEY)
    if isinstance(sid, str):
        await store.end(sid)
    request.session.clear()
    set_session_data(request, None)


def role(agent: dict[str, Any]) -> c.AgentRole:
    """The signed-in agent's role (a session begun before roles existed knows only is_admin)."""
    stored = agent.get("role")
    if stored in set(c.AgentRole):
        return c.AgentRole(stored)
    return c.AgentRole.ADMIN if agent.get("is_admin") else c.AgentRole.AGENT


def actor(agent: dict[str, Any]) -> c.Actor:
    """The actor of a write made in the web UI."""
    return c.Actor(
        type=c.AuthorType.AGENT, id=agent["id"], name=agent["name"], email=agent["email"], channel=c.Channel.WEB
    )


def flash(request: Request, message: str, kind: str = "info") -> None:
    """A message shown once, on the next page."""
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """A page, with what every page needs: the agent, the CSRF token, pending flash messages."""
    agent = signed_in(request)
    base = {
        "agent": agent,
        # a light agent's pages offer the internal note only (decision 0196)
        "light_agent": agent is not None and role(agent) is c.AgentRole.LIGHT_AGENT,
        "agent_is_admin": agent is not None and role(agent) is c.AgentRole.ADMIN,
        "csrf_token": ensure_csrf_token(request.session),
        "flashes": request.session.pop("flash", []),
    }
    return TEMPLATES.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
