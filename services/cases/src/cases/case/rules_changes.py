"""What an update really changes, and the optimistic-concurrency check (B10/B11)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from contracts.errors import VersionConflict

# fields an update may touch, in the order history rows are written
EDITABLE = (
    "title",
    "description",
    "status",
    "status_id",
    "priority",
    "assignee_id",
    "group_id",
    "type_id",
    "category",
    "solution",
    "due_at",
    "external_ref",
    "organisation_id",
    "parent_id",
    "source",
    "inform_contact",
    "requester_id",
)


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


def check_stale(
    *,
    strict: bool,
    expected: int | None,
    actual: int,
    changed_since: Callable[[], set[str]],
    requested: set[str],
    current: Callable[[], Any],
) -> None:
    """B11 with a strictness setting: strict refuses every stale write; otherwise only one touching a changed field.

    `changed_since()` names the fields changed by writes applied on `expected` or later.
    """
    if expected is None or expected == actual:
        return
    if strict or expected > actual:
        check_version(expected=expected, actual=actual, current=current)
    clashes = sorted(_families(changed_since()) & _families(requested))
    if clashes:
        raise VersionConflict(
            message=f"the case changed (version {actual}, you had {expected}) in {', '.join(clashes)}",
            details={"current": current(), "fields": clashes},
        )


def _families(names: set[str]) -> set[str]:
    # status and status_id are one field to a person; so are a custom field and its history name
    return {"status" if n in ("status_id", "status_name", "dormant_until") else n for n in names}
