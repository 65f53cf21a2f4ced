"""Browser-facing safety shared by both front ends (agent UI and customer portal).

- CSRF: one random token per session, echoed by every form (hidden field) or script (header), compared in
  constant time.
- Safe redirects: after sign-in we only ever go to a path on this site.
- Security headers on every response, with a Content-Security-Policy that allows our own files only: no
  inline script, no inline style attribute, no `eval`, no framing. Pages keep their scripts and styles in
  static files, so the policy holds without nonces.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"

# where images may come from unless a front end says otherwise: our own files and data: URLs
OWN_IMAGES = "'self' data:"


def content_security_policy(*, img_src: str = OWN_IMAGES) -> str:
    """Our own scripts, styles, fetches and workers only; nothing may frame us; forms post here only."""
    return f"default-src 'self'; img-src {img_src}; frame-ancestors 'none'; form-action 'self'"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def ensure_csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's token, created on first use."""
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = new_csrf_token()
        session[CSRF_SESSION_KEY] = token
    return token


def csrf_matches(expected: object, given: str | None) -> bool:
    """Constant-time comparison; a missing token on either side never matches."""
    if not isinstance(expected, str) or not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def csrf_token_ok(session: Mapping[str, Any], submitted: str | None) -> bool:
    """True when the submitted token is the session's."""
    return csrf_matches(session.get(CSRF_SESSION_KEY), submitted)


def safe_next(path: str | None) -> str:
    """Where to go after sign-in: only a path on this site (never `//evil.example`, `/\\evil` or a full URL)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def security_headers(*, referrer_policy: str, img_src: str = OWN_IMAGES) -> dict[str, str]:
    """The headers every page of a front end carries."""
    return {
        "Content-Security-Policy": content_security_policy(img_src=img_src),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",  # for browsers without frame-ancestors
        "Referrer-Policy": referrer_policy,
    }


class SecurityHeadersMiddleware:
    """Adds `headers` to every HTTP response, unless the route set its own (e.g. a `sandbox` CSP on downloads).

    Pure ASGI, so streaming responses and error pages are covered too. Paths starting with one of
    `exempt_prefixes` are left alone (a third-party page such as the API's Swagger UI, which loads its
    script from a CDN).
    """

    def __init__(self, app: ASGIApp, *, headers: Mapping[str, str], exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = dict(headers)
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.exempt_prefixes and scope["path"].startswith(self.exempt_prefixes)):
            await self.app(scope, receive, send)
            return

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, _send)
