"""Mailed links that set a password (an agent's invite or reset, a customer's registration or reset): pure.

A token is `<nonce>.<signature>`: the signature (HMAC-SHA256 under HELPDESK_SECRET_KEY) binds the nonce to a
`scope` naming who the link is for and why ("agent-link:invite", "contact-link:reset"), so a forged token, or
a token of one kind used as another, is refused before any lookup. The database keeps only the sha256 of the
whole token and marks it used once it served; each service keeps its own table of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime
from enum import StrEnum

_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$")


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"


def _signature(secret: str, scope: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"{scope}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def new_token(*, secret: str, scope: str) -> str:
    """A fresh token (256 random bits) signed for `scope`."""
    nonce = secrets.token_urlsafe(32)
    return f"{nonce}.{_signature(secret, scope, nonce)}"


def signed_for(token: str, *, secret: str, scope: str) -> bool:
    """True when the token has our shape and its signature is ours for this scope (no lookup needed)."""
    if not _SHAPE.match(token):
        return False
    nonce, _, signature = token.partition(".")
    return hmac.compare_digest(signature, _signature(secret, scope, nonce))


def hash_token(token: str) -> str:
    """What the database keeps: a leaked table lets nobody set a password."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_state(*, expires_at: datetime, used_at: datetime | None, now: datetime) -> LinkState:
    """Used beats expired; the expiry instant itself is already too late."""
    if used_at is not None:
        return LinkState.USED
    if now >= expires_at:
        return LinkState.EXPIRED
    return LinkState.VALID
