"""Web Push rules, pure: what a browser's subscription must look like, and how a push delivery names it."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import urlsplit

from contracts.notifications import PushSubscriptionCreate

CHANNEL = "push"


def subscription_problems(data: PushSubscriptionCreate, *, production: bool) -> list[dict[str, Any]]:
    """What is wrong with a browser's subscription (empty: nothing); production wants https endpoints."""
    url = urlsplit(data.endpoint)
    schemes = ("https",) if production else ("https", "http")
    problems = []
    if url.scheme not in schemes or not url.hostname:
        problems.append({"field": "endpoint", "problem": f"must be an absolute {' or '.join(schemes)} URL"})
    key = unb64(data.keys.p256dh)
    if key is None or len(key) != 65 or key[0] != 4:
        problems.append({"field": "keys.p256dh", "problem": "must be an uncompressed P-256 point, base64url"})
    secret = unb64(data.keys.auth)
    if secret is None or len(secret) != 16:
        problems.append({"field": "keys.auth", "problem": "must be 16 bytes, base64url"})
    return problems


def recipient(subscription_id: int) -> str:
    """The delivery log's recipient of a push to one browser."""
    return f"push:{subscription_id}"


def subscription_id(recipient: str) -> int:
    try:
        return int(recipient.removeprefix("push:"))
    except ValueError:
        return 0


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        return None
