"""Pure rules of admin changes (decision 0198): the version token of an object, If-Match, and what an audit
entry may keep of an object (secrets never)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

REDACTED = "[redacted]"
# a key naming a secret, alone or as the last word of a snake_case name: `password`, `imap_password`,
# `oauth_refresh_token`, `client_secret`, `key_hash`, `secret`; `imap_password_set` (a flag) is kept
_SECRET_KEY = re.compile(r"(^|_)(password|passwd|secret|token|hash|api_key|credentials?)$", re.IGNORECASE)
# state an owning service changes by itself, not a setting an admin edits: left out of the version, so a mailbox
# polled (or a key used) while an admin has its form open is no conflict
RUNTIME_FIELDS = frozenset(
    {
        "imap_last_uid",
        "imap_last_polled_at",
        "imap_last_error",
        "imap_idle_supported",
        "imap_idle_active",
        "last_used_at",
        "next_at",
    }
)
VERSION_LENGTH = 32  # hex characters of the SHA-256: 128 bits, plenty to tell two versions apart


class Outcome:
    """How an audited change ended: written before the change as `pending`, completed after it."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the owning service refused: nothing changed
    UNKNOWN = "unknown"  # no answer (timeout, crash): the change may or may not have happened


def as_json(obj: Any) -> Any:
    """An object as the JSON the owning service returns: a pydantic model dumped, anything else as is."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, list | tuple):
        return [as_json(o) for o in obj]
    if isinstance(obj, Mapping):
        return {str(k): as_json(v) for k, v in obj.items()}
    return obj


def fingerprint(obj: Any) -> str:
    """The version token of an object: a hash of its canonical JSON (keys sorted, no spaces).

    Stable for the same content whatever the order of keys; a change of any field but the runtime ones
    (`RUNTIME_FIELDS`) gives a new token."""
    value = as_json(obj)
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k not in RUNTIME_FIELDS}
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:VERSION_LENGTH]


def etag(token: str) -> str:
    """The strong ETag header value of a version token."""
    return f'"{token}"'


def if_match_token(header: str | None) -> str | None:
    """The version an `If-Match` header asks for; None when there is none or it is `*` (any version).

    The quotes and a weak `W/` prefix are dropped; whatever is left is compared as it is, so a token that
    is no token of ours never matches (409, nothing changed)."""
    if header is None or not header.strip() or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip().strip('"')


def is_secret_key(key: str) -> bool:
    return bool(_SECRET_KEY.search(key))


def redact(obj: Any) -> Any:
    """The JSON of an object with every secret-named value replaced (nested dicts and lists too).

    A secret that is null or empty stays as it is: "no password" is not a secret, and says what changed."""
    value = as_json(obj)
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, dict):
        return {k: (REDACTED if is_secret_key(k) and v not in (None, "") else redact(v)) for k, v in value.items()}
    return value
