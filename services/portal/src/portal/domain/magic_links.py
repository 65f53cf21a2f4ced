"""Magic-link tokens: what we hand out, what we store, and when a link still signs someone in."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters; anything else is not one of ours and needs no lookup
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"


def new_token() -> str:
    """A fresh, unguessable token for one sign-in link (256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """What the database keeps: a leaked table must not let anyone sign in."""
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    """Cheap shape check before touching the database."""
    return bool(_TOKEN_SHAPE.match(token))


def expires_at(*, now: datetime, ttl_seconds: int) -> datetime:
    """When a link issued at `now` stops working."""
    return now + timedelta(seconds=ttl_seconds)


def link_state(*, expires_at: datetime, used_at: datetime | None, now: datetime) -> LinkState:
    """Single use and short lived: used beats expired, and the expiry instant itself is already too late."""
    if used_at is not None:
        return LinkState.USED
    if now >= expires_at:
        return LinkState.EXPIRED
    return LinkState.VALID


def link_url(*, public_url: str, token: str) -> str:
    """The address we mail to the customer."""
    return f"{public_url.rstrip('/')}/auth/{token}"
