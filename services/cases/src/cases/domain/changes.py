"""What an update really changes, and the optimistic-concurrency check (B10/B11)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from contracts.errors import VersionConflict

# fields an update may touch, in the order history rows are written
EDITABLE = ("title", "description", "status", "priority", "assignee_id", "group_id")


def diff(current: Mapping[str, Any], requested: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`{field: {"old": ..., "new": ...}}` for every requested field whose value differs."""
    return {
        name: {"old": current.get(name), "new": requested[name]}
        for name in EDITABLE
        if name in requested and requested[name] != current.get(name)
    }


def check_version(*, expected: int | None, actual: int, current: Callable[[], Any]) -> None:
    """Raise VersionConflict (with the current state) when the caller edited an older version.

    `expected=None` skips the check: only internal callers (rules, events) may do that.
    """
    if expected is not None and expected != actual:
        raise VersionConflict(
            message=f"the case changed (version {actual}, you had {expected})",
            details={"current": current()},
        )


def history_value(value: Any) -> str | None:
    """How a field value is written into the history log."""
    if value is None:
        return None
    return str(getattr(value, "value", value))
