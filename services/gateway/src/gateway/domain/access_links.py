"""Links mailed to agents to set a password (an invite, a reset): signed, single use, short lived; pure.

A token is `<nonce>.<signature>`: the signature (HMAC-SHA256 under HELPDESK_SECRET_KEY) binds the nonce to the
link's purpose, so a forged token or an invite token used as a reset link is refused before any lookup. The
database keeps only the sha256 of the whole token, and marks it used once it set a password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

INVITE_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$")


class Purpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"


def ttl(purpose: Purpose) -> timedelta:
    """An invite waits a day for the new agent; a reset link is for someone at their desk now."""
    return INVITE_TTL if purpose is Purpose.INVITE else RESET_TTL


def _signature(secret: str, purpose: Purpose, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"agent-link:{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def new_token(*, secret: str, purpose: Purpose) -> str:
    """A fresh token (256 random bits) signed for `purpose`."""
    nonce = secrets.token_urlsafe(32)
    return f"{nonce}.{_signature(secret, purpose, nonce)}"


def signed_for(token: str, *, secret: str, purpose: Purpose) -> bool:
    """True when the token has our shape and its signature is ours for this purpose (no lookup needed)."""
    if not _SHAPE.match(token):
        return False
    nonce, _, signature = token.partition(".")
    return hmac.compare_digest(signature, _signature(secret, purpose, nonce))


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


def link_url(*, public_url: str, token: str) -> str:
    """The address mailed to the agent: a page of the agent UI."""
    return f"{public_url.rstrip('/')}/set-password/{token}"
