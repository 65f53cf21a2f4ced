"""Links mailed to agents to set a password (an invite, a reset): signed, single use, short lived; pure.

The token scheme is shared with the portal's customer links (chassis.link_tokens); here the scope
`agent-link:<purpose>` binds a token to its purpose, so an invite token used as a reset link is refused.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from chassis import link_tokens
from chassis.link_tokens import LinkState, hash_token, link_state

__all__ = ["LinkState", "Purpose", "hash_token", "link_state", "link_url", "new_token", "signed_for", "ttl"]

INVITE_TTL = timedelta(hours=24)
RESET_TTL = timedelta(hours=1)


class Purpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"


def ttl(purpose: Purpose) -> timedelta:
    """An invite waits a day for the new agent; a reset link is for someone at their desk now."""
    return INVITE_TTL if purpose is Purpose.INVITE else RESET_TTL


def new_token(*, secret: str, purpose: Purpose) -> str:
    """A fresh token signed for `purpose`."""
    return link_tokens.new_token(secret=secret, scope=f"agent-link:{purpose}")


def signed_for(token: str, *, secret: str, purpose: Purpose) -> bool:
    """True when the token has our shape and its signature is ours for this purpose (no lookup needed)."""
    return link_tokens.signed_for(token, secret=secret, scope=f"agent-link:{purpose}")


def link_url(*, public_url: str, token: str) -> str:
    """The address mailed to the agent: a page of the agent UI."""
    return f"{public_url.rstrip('/')}/set-password/{token}"
