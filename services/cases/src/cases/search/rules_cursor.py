"""Opaque keyset cursors that carry the sort they belong to, so a cursor is never applied to another order."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from contracts.errors import ValidationFailed


def encode(kind: str, payload: list[Any]) -> str:
    """A cursor of `kind` (a sort key, a view, a search) continuing after `payload`."""
    raw = json.dumps([kind, *[v.isoformat() if isinstance(v, datetime) else v for v in payload]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str | None, kind: str, types: tuple[type, ...]) -> list[Any] | None:
    """The payload of a cursor made by `encode(kind, ...)` with values of `types` (None: first page)."""
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        if not isinstance(raw, list) or raw[0] != kind or len(raw) != len(types) + 1:
            raise ValueError(raw)
        values: list[Any] = []
        for value, want in zip(raw[1:], types, strict=True):
            if want is datetime:
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError(value)
                values.append(parsed)
            elif want is int and isinstance(value, int) and not isinstance(value, bool):
                values.append(value)
            elif want is float and isinstance(value, int | float) and not isinstance(value, bool):
                values.append(float(value))
            else:
                raise ValueError(value)
        return values
    except (ValueError, TypeError, IndexError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        # validation_error, as cursors have always answered (the code clients already handle)
        raise ValidationFailed(
            message="invalid cursor (it belongs to another list or sort)", details={"cursor": cursor}
        ) from None
