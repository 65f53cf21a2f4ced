"""Secrets sealed for one purpose: Fernet under a key derived (HKDF-SHA256) from HELPDESK_SECRET_KEY.

Every service shares HELPDESK_SECRET_KEY, so a secret one service seals another can open, without the
plaintext ever travelling in an event or resting in a table (decision 0228: a mailbox's SMTP password,
sealed by mail-gateway, copied by notifications). The purpose label keeps each use's key apart from the
others and from the secret's other uses (signing Message-IDs, sessions).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "fernet:"
# a mailbox's SMTP password (mail-gateway seals it, notifications opens it to log in)
SMTP_PASSWORD = b"helpdesk mailbox smtp password v1"


class SealBroken(ValueError):
    """A sealed value no known key opens (the secret key changed without the previous one), or not sealed."""


def _fernet(secret: str, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plaintext: str, *, secret: str, purpose: bytes) -> str:
    """`fernet:<token>` of `plaintext`."""
    return PREFIX + _fernet(secret, purpose).encrypt(plaintext.encode("utf-8")).decode("ascii")


def unseal(sealed: str | None, *, secret: str, purpose: bytes, previous: Sequence[str] = ()) -> str:
    """The plaintext ('' for nothing sealed); SealBroken when no known key opens it."""
    if not sealed:
        return ""
    if not sealed.startswith(PREFIX):
        raise SealBroken("the stored secret is not sealed")
    keys = MultiFernet([_fernet(s, purpose) for s in (secret, *previous)])
    try:
        return keys.decrypt(sealed[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise SealBroken("the sealed secret cannot be opened (was HELPDESK_SECRET_KEY changed?)") from None
