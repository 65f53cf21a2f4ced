"""Idempotency-Key rules for POST /cases: the request fingerprint and what a stored record means."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

MAX_KEY_LENGTH = 200


class Replay(StrEnum):
    """What to do with a request whose key was seen before."""

    NEW = "new"
    REPLAY = "replay"
    CONFLICT = "conflict"


def request_hash(body: dict[str, Any]) -> str:
    """A fingerprint of the request's meaning (canonical JSON, so key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def decide(*, stored_hash: str | None, incoming_hash: str) -> Replay:
    """Same key and same body replays the stored answer; same key with another body is a conflict."""
    if stored_hash is None:
        return Replay.NEW
    return Replay.REPLAY if stored_hash == incoming_hash else Replay.CONFLICT


def valid_key(key: str) -> bool:
    """Keys are opaque, printable and bounded (they become part of a database key)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()


def cases_idempotency_key(*, owner: str, key: str) -> str:
    """The key passed on to cases.create_case: scoped by owner so two clients never share a case."""
    return f"gateway:{owner}:{key}"
