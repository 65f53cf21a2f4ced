"""Opaque keyset cursors for lists ordered by id descending."""

from __future__ import annotations

import base64
import binascii

from contracts.errors import ValidationFailed


def encode_cursor(last_id: int) -> str:
    """The cursor that continues after the row `last_id`."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor continues after (None for the first page)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "id":
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(message="invalid cursor", details={"cursor": cursor}) from None
