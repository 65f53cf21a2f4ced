"""CSRF protection of the agent UI's forms: one random token per session, echoed in a hidden field."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any

SESSION_KEY = "csrf"
FIELD = "csrf_token"


def ensure_token(session: MutableMapping[str, Any]) -> str:
    """The session's token, created on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def token_ok(session: MutableMapping[str, Any], submitted: str | None) -> bool:
    """True when the submitted token is the session's (constant-time compare)."""
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
