"""Passwords of agents and customers: Argon2id hashes through argon2-cffi, and the rules a new password must
pass (decisions 0188, 0251).

Hashes made before Argon2 (`scrypt$n$r$p$salt$hash`, standard library) still verify; `needs_rehash` says so,
and the next successful sign-in stores an Argon2id hash instead.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256  # hashing a megabyte of "password" is a denial of service, not a password
# argon2-cffi's defaults are RFC 9106's low-memory profile (64 MiB, 3 passes): ~50 ms a check here
_HASHER = PasswordHasher()
_LEGACY_SCHEME = "scrypt"


def hash_password(password: str) -> str:
    """A self-describing Argon2id hash (`$argon2id$...`) with a fresh salt."""
    return _HASHER.hash(password)


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches `encoded` (Argon2 or a legacy scrypt hash); False for a malformed hash."""
    if encoded.startswith(f"{_LEGACY_SCHEME}$"):
        return _verify_scrypt(password, encoded)
    try:
        return _HASHER.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """True when a verified hash should be replaced (older scheme or weaker parameters)."""
    if encoded.startswith(f"{_LEGACY_SCHEME}$"):
        return True
    try:
        return _HASHER.check_needs_rehash(encoded)
    except InvalidHashError:
        return True


def _verify_scrypt(password: str, encoded: str) -> bool:
    try:
        _scheme, n, r, p, salt, digest = encoded.split("$")
        candidate = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32, maxmem=64 * 1024 * 1024
        )
        return hmac.compare_digest(candidate, _unb64(digest))
    except (ValueError, TypeError):
        return False


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.cache
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords, ranked list shipped by the zxcvbn package (loaded on first use)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def _guessable(lowered: str) -> bool:
    """A common password, one with digits or symbols tacked on ("password2024!"), one repeated
    ("qwertyqwerty"), or three characters or fewer over and over."""
    common = common_passwords()
    half = len(lowered) // 2
    return (
        lowered in common
        or lowered.rstrip(_TACKED_ON) in common
        or (lowered[:half] * 2 == lowered and lowered[:half].rstrip(_TACKED_ON) in common)
        or len(set(lowered)) < 4
    )


_TACKED_ON = "0123456789!@#$%^&*()_+-=.,;:?~ "


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why `password` may not be used (too short, too long, too common, the e-mail address), or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if _guessable(password.lower()):
        return "This password is too common. Choose one that is harder to guess."
    lowered = password.lower()
    if email and lowered in {email.lower(), email.lower().partition("@")[0]}:
        return "Do not use your email address as your password."
    return None


def generate_password() -> str:
    """A random password for the demo admin when none is configured."""
    return secrets.token_urlsafe(12)
