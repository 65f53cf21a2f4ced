"""What every admin page shares: the admin check, rendering with the console's navigation, form parsing,
errors next to their field, and the version token that turns a concurrent edit into a clear conflict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import cases as c
from contracts import errors
from gateway import admin_changes
from gateway.context import AppContext, get_context
from gateway.ui import session as s

Ctx = Annotated[AppContext, Depends(get_context)]
FORM_ERROR = "__all__"  # the key of an error that belongs to the whole form, not one field


class AdminRequired(Exception):
    """A signed-in agent who is not an admin asked for an admin page; answered with a 403 page."""


def require_admin(request: Request) -> dict[str, Any]:
    """Dependency of every admin page: the signed-in admin (sign-in redirect, or 403 for other agents)."""
    agent = s.require_agent(request)
    if s.role(agent) is not c.AgentRole.ADMIN:
        raise AdminRequired()
    return agent


Admin = Annotated[dict[str, Any], Depends(require_admin)]


@dataclass(frozen=True)
class Section:
    """One area of the console as the index and the navigation list it."""

    path: str
    title: str
    description: str


# the console's areas in the order the index shows them, grouped under a heading each
SECTIONS: dict[str, list[Section]] = {}


def add_section(group: str, section: Section) -> None:
    """Areas register themselves for the index when their module is imported by the console's router."""
    entries = SECTIONS.setdefault(group, [])
    if all(e.path != section.path for e in entries):
        entries.append(section)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """An admin page: the agent UI's page with the console's navigation."""
    return s.render(request, template, {"nav": "admin", "sections": SECTIONS, **context}, status_code=status_code)


def version_of(item: Any) -> str:
    """The version token of an object, the same the API sends as its ETag (`gateway.admin_changes`)."""
    return admin_changes.fingerprint(item)


def field_errors(exc: Exception, fields: set[str] | None = None) -> dict[str, str]:
    """Errors keyed by the form field they belong to; what belongs to no field is under FORM_ERROR."""
    found: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for e in exc.errors():
            loc = [str(p) for p in e["loc"]]
            name = loc[0] if loc else FORM_ERROR
            key = name if fields is None or name in fields else FORM_ERROR
            message = e["msg"].removeprefix("Value error, ")
            found.setdefault(key, message if key != FORM_ERROR or not loc else f"{'.'.join(loc)}: {message}")
        return found
    if isinstance(exc, errors.DomainError):
        details = exc.details if isinstance(exc.details, dict) else {}
        named = details.get("field")
        candidates = [named] if isinstance(named, str) else list(details)
        for key in candidates:
            if fields is not None and key in fields:
                found[key] = exc.message
                return found
        found[FORM_ERROR] = exc.message
        return found
    found[FORM_ERROR] = str(exc)
    return found


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def texts(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def conflict_message(singular: str) -> str:
    return (
        f"Another admin changed this {singular} after you opened it. The form now shows their version; "
        "make your change again and save."
    )


def not_found(request: Request, singular: str) -> Response:
    from gateway.ui.routes import error_page

    return error_page(request, 404, f"No such {singular}", f"There is no such {singular}. It may have been deleted.")


def same_version(expected: str, current: Any) -> bool:
    """True when the form was made from the object as it is now (an empty token skips the check)."""
    return not expected or expected == version_of(current)


def with_ids(data: Any, names: tuple[str, ...]) -> Any:
    """Form values of id pickers as ints, since ids are strict in the write models; what is not a number
    stays as it was, for the model to refuse next to its field."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name in names:
        value = out.get(name)
        if isinstance(value, str) and value.isdigit():
            out[name] = int(value)
    return out


def contact_form(form: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """A contact form's fields as `ContactWrite` values, and as shown again when refused (emails as typed).
    One reading for the admin console's contact page and the agents' one."""
    emails = [e.strip() for e in text(form, "emails").replace(",", "\n").splitlines() if e.strip()]
    org = text(form, "organisation_id")
    values: dict[str, Any] = {
        "name": text(form, "name"),
        "emails": emails,
        "phone": text(form, "phone"),  # empty clears it
        "organisation_id": int(org) if org.isdigit() else (org or None),
        "preferred_channel": text(form, "preferred_channel") or None,
        "approved": form.get("approved") is not None,
    }
    return values, {**values, "emails": text(form, "emails")}
