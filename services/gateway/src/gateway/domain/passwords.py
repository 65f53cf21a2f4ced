"""Agent password hashing with scrypt from the standard library (no extra dependency)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# scrypt cost: ~16 MiB and a few tens of ms per check, fine for sign-in, costly for brute force
_N, _R, _P = 2**14, 8, 1
_DKLEN = 32
_SCHEME = "scrypt"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=_DKLEN, maxmem=64 * 1024 * 1024)


def hash_password(password: str) -> str:
    """A self-describing hash `scrypt$n$r$p$salt$hash` of `password` with a fresh salt."""
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, _N, _R, _P)
    return f"{_SCHEME}${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches `encoded`; False for a wrong password or a malformed hash."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != _SCHEME:
            return False
        candidate = _derive(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, _unb64(digest))


def generate_password() -> str:
    """A random password for the demo admin when none is configured."""
    return secrets.token_urlsafe(12)
