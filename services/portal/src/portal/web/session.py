"""The signed session cookie: who is signed in, and the CSRF token of their forms."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

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
    if not has_session(request):
        return None
    contact_id = request.session.get("contact_id")
    if not isinstance(contact_id, int):
        return None
    scope = request.session.get("case_scope")
    return SignedInContact(
        id=contact_id,
        email=str(request.session.get("email", "")),
        case_scope=scope if isinstance(scope, int) else None,
    )


def require_contact(request: Request) -> SignedInContact:
    """FastAPI dependency for pages behind sign-in; remembers where the customer wanted to go."""
    contact = current_contact(request)
    if contact is None:
        if request.method == "GET":
            request.session["next"] = safe_next(request.url.path)
        raise SignInRequired()
    return contact


def sign_in(request: Request, *, contact_id: int, email: str) -> str:
    """Start a fresh session for the contact (a new CSRF token too); returns where to go next."""
    target = safe_next(request.session.get("next"))
    # never carry anything over from before sign-in (session fixation)
    request.session.clear()
    request.session.update({"contact_id": contact_id, "email": email, CSRF_SESSION_KEY: new_csrf_token()})
    return target


def open_case_by_link(request: Request, *, contact_id: int, case_id: int, email: str) -> None:
    """A signed case link (D5): a session limited to that case, unless this contact is fully signed in already."""
    current = current_contact(request)
    if current is not None and current.id == contact_id and current.case_scope is None:
        return
    request.session.clear()
    request.session.update(
        {"contact_id": contact_id, "email": email, "case_scope": case_id, CSRF_SESSION_KEY: new_csrf_token()}
    )


def sign_out(request: Request) -> None:
    request.session.clear()
