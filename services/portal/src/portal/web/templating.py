"""Jinja2 rendering with what every page needs (who is signed in, the CSRF token)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from contracts.cases import Status
from portal.web.branding import Branding
from portal.web.session import csrf_token, current_contact

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))

STATUS_LABELS = {
    Status.NEW: "Received",
    Status.OPEN: "In progress",
    Status.WAITING: "Waiting for you",
    Status.DORMANT: "On hold",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}
ACTIVE_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.WAITING, Status.DORMANT})


def _when(value: datetime | None) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC") if value else ""


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.globals["status_label"] = lambda status: STATUS_LABELS.get(status, str(status))


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> Response:
    """A page; private pages must not be cached by browsers or proxies."""
    branding = getattr(request.state, "branding", None) or Branding()
    page = {
        "contact": current_contact(request),
        "csrf_token": csrf_token(request),
        "branding": branding,
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, name, page, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
