"""Magic-link tokens: what we hand out, what we store, and when a link still signs someone in."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

# the hash kept and the state of a link are those of every mailed link (chassis.link_tokens)
from chassis.link_tokens import LinkState, hash_token, link_state

__all__ = ["LinkState", "expires_at", "hash_token", "link_state", "link_url", "looks_like_token", "new_token"]

TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters; anything else is not one of ours and needs no lookup
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    """A fresh, unguessable token for one sign-in link (256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def looks_like_token(token: str) -> bool:
    """Cheap shape check before touching the database."""
    return bool(_TOKEN_SHAPE.match(token))


def expires_at(*, now: datetime, ttl_seconds: int) -> datetime:
    """When a link issued at `now` stops working."""
    return now + timedelta(seconds=ttl_seconds)


def link_url(*, public_url: str, token: str) -> str:
    """The address we mail to the customer."""
    return f"{public_url.rstrip('/')}/auth/{token}"
