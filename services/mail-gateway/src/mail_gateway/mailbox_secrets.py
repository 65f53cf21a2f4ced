"""IMAP passwords and OAuth2 tokens at rest, sealed with `chassis.sealed` (Fernet under a key derived from the
service secret).

Decision 0087. The key is HKDF-SHA256 of `HELPDESK_SECRET_KEY` with a purpose label, so the same
secret signing Message-IDs never doubles as this key. Rotating the secret needs the previous one:
`decrypt` accepts `previous` secrets (MultiFernet) and `rotate` re-encrypts under the current one.
"""

from __future__ import annotations

from collections.abc import Sequence

from chassis import sealed
from mail_gateway.imap import ImapFailure

_INFO = b"helpdesk mail-gateway imap password v1"
# OAuth2 tokens, client secrets and PKCE verifiers: a key of their own (decision 0225)
OAUTH = b"helpdesk mail-gateway oauth2 v1"
PREFIX = sealed.PREFIX  # marks a stored value as ciphertext (the migration and `is_encrypted` use it)


class SecretUnreadable(ImapFailure):
    """A stored IMAP password cannot be decrypted: the service secret changed without the previous one."""

    def __init__(self, reason: str = "the stored IMAP password cannot be decrypted (was the secret key changed?)"):
        super().__init__("config", reason)


def encrypt(plaintext: str, *, secret: str, info: bytes = _INFO) -> str:
    return sealed.seal(plaintext, secret=secret, purpose=info)


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and str(stored).startswith(PREFIX)


def decrypt(stored: str | None, *, secret: str, previous: Sequence[str] = (), info: bytes = _INFO) -> str:
    """The password of a stored value ('' for none); SecretUnreadable if no known key opens it."""
    if not stored:
        return ""
    if not is_encrypted(stored):
        raise SecretUnreadable("the stored IMAP password is not encrypted (run `mail_gateway migrate`)")
    try:
        return sealed.unseal(stored, secret=secret, purpose=info, previous=previous)
    except sealed.SealBroken:
        raise SecretUnreadable() from None
