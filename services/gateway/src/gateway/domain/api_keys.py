"""API keys: generation, the stored fingerprint, bearer parsing and scopes (G1)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

KEY_PREFIX = "hdk_"
DISPLAY_PREFIX_LEN = 12

SCOPE_CASES_READ = "cases:read"
SCOPE_CASES_WRITE = "cases:write"
SCOPE_DIRECTORY_READ = "directory:read"
SCOPE_REPORTS_READ = "reports:read"
ALL_SCOPES = (SCOPE_CASES_READ, SCOPE_CASES_WRITE, SCOPE_DIRECTORY_READ, SCOPE_REPORTS_READ)


def generate_key() -> str:
    """A new random API key secret (shown once, never stored)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(secret: str) -> str:
    """What we store and look up: the SHA-256 of the whole secret (keys are high-entropy, so no salt)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    """The first characters of a key, safe to show in lists and logs to tell keys apart."""
    return secret[:DISPLAY_PREFIX_LEN]


def parse_bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def has_scope(*, scopes: Iterable[str], is_admin: bool, needed: str) -> bool:
    """Admins may do everything; others need the scope or the wildcard."""
    if is_admin:
        return True
    granted = set(scopes)
    return needed in granted or "*" in granted


def leaves_no_admin(*, revoking_live_admin_key: bool, other_live_admin_keys: int, admin_passwords: int) -> bool:
    """True when revoking this key would leave the desk with no admin credential (decision 0191): it is a
    live admin key, no other live admin key remains, and no active admin agent can sign in with a password."""
    return revoking_live_admin_key and other_live_admin_keys == 0 and admin_passwords == 0
