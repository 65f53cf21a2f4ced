"""Mailed links where a customer sets a password (registration, reset): the token scheme of
chassis.link_tokens, signed for the scope `contact-link:<purpose>`, so a registration token is no reset link
(nor an agent's); single use and short lived (decision 0251)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chassis import link_tokens
from contracts.portal import PasswordLinkPurpose


def _scope(purpose: PasswordLinkPurpose) -> str:
    return f"contact-link:{purpose}"


def new_token(*, secret: str, purpose: PasswordLinkPurpose) -> str:
    return link_tokens.new_token(secret=secret, scope=_scope(purpose))


def purpose_of(token: str, *, secret: str) -> PasswordLinkPurpose | None:
    """Which purpose the token is signed for; None for a forged or mangled one (no lookup needed)."""
    for purpose in PasswordLinkPurpose:
        if link_tokens.signed_for(token, secret=secret, scope=_scope(purpose)):
            return purpose
    return None


def expires_at(*, now: datetime, ttl_seconds: int) -> datetime:
    return now + timedelta(seconds=ttl_seconds)


def link_url(*, public_url: str, token: str) -> str:
    """The address mailed to the customer: the portal page where they choose the password."""
    return f"{public_url.rstrip('/')}/set-password/{token}"
