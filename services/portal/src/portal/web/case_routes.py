"""My cases (D2) and one case with its public conversation and a reply form (D4)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from contracts.bounds import LaxId
from contracts.cases import AuthorType
from contracts.cases_client import ContactCaseView
from portal.domain.forms import FormError, clean_reply
from portal.web.context import PortalContext, get_context
from portal.web.session import SignedInContact, SignInRequired, check_csrf, current_contact, require_contact
from portal.web.templating import ACTIVE_STATUSES, render

router = APIRouter()

Ctx = Annotated[PortalContext, Depends(get_context)]
Contact = Annotated[SignedInContact, Depends(require_contact)]
# an id no case can have (2^63 or more, not a number) is a page that does not exist: 404, never a database error
CaseId = Annotated[LaxId, Path()]


# what the home page shows beside the cases: each tile is a partial of its own (department forms, notices...)
HOME_TILES: list[str] = ["_form_tiles.html"]
SHOWS = ("all", "active", "closed")


@router.get("/")
async def my_cases(
    request: Request,
    ctx: Ctx,
    contact: Contact,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    q: Annotated[str, Query(max_length=200)] = "",
    show: Annotated[str, Query(max_length=10)] = "all",
    scope: Annotated[str, Query(max_length=20)] = "mine",
) -> Response:
    """The home page: the contact's cases (D2), active and closed, searchable; their organisation's too when it
    shares them (D10). Unknown `show`/`scope` values fall back to the defaults, they are only links."""
    if contact.case_scope is not None:
        # opened by a case link: that case is all this session may see
        return RedirectResponse(f"/cases/{contact.case_scope}", status_code=303)
    show = show if show in SHOWS else "all"
    organisation = scope == "organisation" and contact.sees_organisation_cases
    query = " ".join(q.split())
    page, forms = await asyncio.gather(
        ctx.cases.list_cases_for_contact(
            contact_id=contact.id,
            cursor=cursor or None,
            limit=ctx.settings.page_size,
            q=query or None,
            closed=None if show == "all" else show == "closed",
            organisation=organisation,
        ),
        ctx.cases.list_published_forms(),
    )
    active = [c for c in page.items if c.status in ACTIVE_STATUSES]
    finished = [c for c in page.items if c.status not in ACTIVE_STATUSES]
    filters = {"q": query, "show": show, "scope": "organisation" if organisation else "mine"}
    context = {
        "active": active,
        "finished": finished,
        "next_cursor": page.next,
        "paged": bool(cursor),
        "forms": forms,  # department tiles (_form_tiles.html)
        "filters": filters,
        "filtered": bool(query) or show != "all",
        "organisation": organisation,
        "may_see_organisation": contact.sees_organisation_cases,
        "home_tiles": HOME_TILES,
        "password_set": request.query_params.get("password_set") == "1",
    }
    return render(request, "cases.html", context)


@router.get("/cases/{case_id}")
async def case_page(request: Request, ctx: Ctx, contact: Contact, case_id: CaseId) -> Response:
    _in_scope(request, contact, case_id)
    view = await ctx.cases.get_case_for_contact(case_id=case_id, contact_id=contact.id)
    return _render_case(request, view)


@router.post("/cases/{case_id}/messages")
async def reply(
    request: Request,
    ctx: Ctx,
    contact: Contact,
    case_id: CaseId,
    body: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    _in_scope(request, contact, case_id)
    try:
        text = clean_reply(body)
    except FormError as exc:
        view = await ctx.cases.get_case_for_contact(case_id=case_id, contact_id=contact.id)
        return _render_case(request, view, error=str(exc), draft=body, status_code=422)
    message = await ctx.cases.add_contact_message(case_id=case_id, contact_id=contact.id, body=text)
    # post/redirect/get: a reload must not send the reply twice
    return RedirectResponse(f"/cases/{case_id}?sent=1#message-{message.id}", status_code=303)


def _in_scope(request: Request, contact: SignedInContact, case_id: int) -> None:
    """A session a case link opened shows only that case; any other asks for a real sign-in."""
    if not contact.may_open(case_id):
        request.session["next"] = f"/cases/{case_id}"
        raise SignInRequired()


def _render_case(
    request: Request, view: ContactCaseView, *, error: str | None = None, draft: str = "", status_code: int = 200
) -> Response:
    first = view.messages[0].body_text.strip() if view.messages else ""
    # an e-mail case's description repeats its first message; show it only when it adds something
    description = view.case.description.strip()
    contact = current_contact(request)
    own = contact is not None and view.case.requester is not None and view.case.requester.id == contact.id
    context = {
        "case": view.case,
        # a colleague's case (D10) is shown, but only its requester replies on it
        "own": own,
        "messages": view.messages,
        "description": description if description and description != first else "",
        "contact_author": AuthorType.CONTACT,
        "error": error,
        "draft": draft,
        "sent": request.query_params.get("sent") == "1",
    }
    return render(request, "case.html", context, status_code=status_code)
