"""Who is signed in (a server-side session in Redis), and the CSRF token of their forms (in the signed cookie)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from chassis.sessions import SESSION_ID_KEY, SessionStore, session_data, set_session_data
from chassis.web_security import CSRF_SESSION_KEY, csrf_token_ok, ensure_csrf_token, new_csrf_token, safe_next


class SignInRequired(Exception):
    """Raised by `require_contact`; answered with a redirect to /login."""


class CsrfRejected(Exception):
    """A POST without the form's CSRF token (stale form or a forged request)."""


@dataclass(frozen=True)
class SignedInContact:
    id: int
    email: str
    # set when a signed case link (D5) opened the session: it may see this one case only
    case_scope: int | None = None
    # the contact's organisation lets its members see each other's cases (D10), as cases said at sign-in
    sees_organisation_cases: bool = False
    organisation_id: int | None = None

    def may_open(self, case_id: int) -> bool:
        return self.case_scope is None or self.case_scope == case_id


def has_session(request: Request) -> bool:
    """False only while rendering a 500 page outside the session middleware."""
    return "session" in request.scope


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    if not has_session(request):
        return ""
    return ensure_csrf_token(request.session)


def check_csrf(request: Request, given: str | None) -> None:
    if not csrf_token_ok(request.session, given):
        raise CsrfRejected()


def current_contact(request: Request) -> SignedInContact | None:
    """The contact of this request's live server-side session (decision 0190), or None."""
    data = session_data(request) if has_session(request) else None
    contact_id = data.get("contact_id") if data else None
    if data is None or not isinstance(contact_id, int):
        return None
    scope = data.get("case_scope")
    return SignedInContact(
        id=contact_id,
        email=str(data.get("email", "")),
        case_scope=scope if isinstance(scope, int) else None,
        sees_organisation_cases=data.get("sees_organisation_cases") is True,
        organisation_id=organisation if isinstance(organisation := data.get("organisation_id"), int) else None,
    )


def require_contact(request: Request) -> SignedInContact:
    """FastAPI dependency for pages behind sign-in; remembers where the customer wanted to go."""
    contact = current_contact(request)
    if contact is None:
        if request.method == "GET":
            request.session["next"] = safe_next(request.url.path)
        raise SignInRequired()
    return contact


def session_owner(contact_id: int) -> str:
    return f"contact:{contact_id}"


async def _start(request: Request, store: SessionStore, contact_id: int, data: dict[str, object]) -> None:
    """A fresh session in the store; the cookie keeps only its id and a new CSRF token (session fixation)."""
    sid = await store.create(owner=session_owner(contact_id), data={"contact_id": contact_id, **data})
    old = request.session.get(SESSION_ID_KEY)
    if isinstance(old, str):
        await store.end(old)  # a case-link session that became a full one
    request.session.clear()
    request.session.update({SESSION_ID_KEY: sid, CSRF_SESSION_KEY: new_csrf_token()})
    set_session_data(request, {"contact_id": contact_id, **data})


async def sign_in(
    request: Request, store: SessionStore, *, contact_id: int, email: str, profile: dict[str, object] | None = None
) -> str:
    """Start a fresh session for the contact (a new CSRF token too); returns where to go next.

    `profile`: what cases said of the contact (organisation, whether it shares its cases), kept for the session."""
    target = safe_next(request.session.get("next"))
    await _start(request, store, contact_id, {"email": email, **(profile or {})})
    return target


async def open_case_by_link(
    request: Request,
    store: SessionStore,
    *,
    contact_id: int,
    case_id: int,
    email: str,
    profile: dict[str, object] | None = None,
) -> None:
    """A signed case link (D5): a session limited to that case, unless this contact is fully signed in already."""
    current = current_contact(request)
    if current is not None and current.id == contact_id and current.case_scope is None:
        return
    await _start(request, store, contact_id, {"email": email, "case_scope": case_id, **(profile or {})})


async def sign_out(request: Request, store: SessionStore) -> None:
    """End the session on the server: a copy of the cookie signs nobody in any more."""
    sid = request.session.get(SESSION_ID_KEY)
    if isinstance(sid, str):
        await store.end(sid)
    request.session.clear()
    set_session_data(request, None)
