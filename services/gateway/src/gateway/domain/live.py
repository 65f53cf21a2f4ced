"""What an open case page or case list is told about a change on `cases.events` (decision 0248): pure, no I/O.

A page is told which case changed, how (the event type), which fields and by whom, never the content: it reads
the content again through the routes that scope it, so a push can never show more than a reload would.
"""

from __future__ import annotations

from typing import Any

# the events of cases.events that change what a case page shows
CASE_EVENTS = (
    "case_created",
    "case_updated",
    "message_added",
    "message_forwarded",
    "task_changed",
    "attachment_added",
    "time_logged",
    "cases_merged",
    "case_linked",
)
# the ones that change what a case list shows (its rows: title, status, priority, assignee, updated)
LIST_EVENTS = frozenset({"case_created", "case_updated", "message_added", "cases_merged"})


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _nested_id(payload: dict[str, Any], key: str, field: str) -> int | None:
    inner = payload.get(key)
    return _id(inner.get(field)) if isinstance(inner, dict) else None


def case_ids(event_type: str, payload: dict[str, Any]) -> list[int]:
    """The cases an event concerns (a merge or a link: both); none for an event no page shows."""
    found: list[int | None]
    if event_type in {"case_created", "case_updated", "message_added", "message_forwarded"}:
        found = [_nested_id(payload, "case", "id")]
    elif event_type == "task_changed":
        found = [_nested_id(payload, "task", "case_id")]
    elif event_type == "attachment_added":
        found = [_nested_id(payload, "attachment", "case_id")]
    elif event_type == "time_logged":
        found = [_nested_id(payload, "entry", "case_id")]
    elif event_type == "cases_merged":
        found = [_nested_id(payload, "survivor", "id"), _nested_id(payload, "duplicate", "id")]
    elif event_type == "case_linked":
        found = [_nested_id(payload, "link", "case_id"), _nested_id(payload, "link", "other_case_id")]
    else:
        found = []
    return list(dict.fromkeys(i for i in found if i is not None))


def page_push(event_type: str, payload: dict[str, Any], case_id: int) -> dict[str, Any]:
    """What an open page of `case_id` is told: the kind of change, the fields changed, who, the new version."""
    case = payload.get("case") if isinstance(payload.get("case"), dict) else None
    if event_type == "cases_merged":
        case = payload.get("survivor") if isinstance(payload.get("survivor"), dict) else None
    changes = payload.get("changes")
    actor = payload.get("actor")
    push: dict[str, Any] = {"case_id": case_id, "kind": event_type}
    if event_type == "case_updated" and isinstance(changes, dict):
        push["fields"] = sorted(str(k) for k in changes)
    if case is not None and _id(case.get("id")) == case_id and isinstance(case.get("version"), int):
        push["version"] = case["version"]
    if isinstance(actor, dict):
        push["by"] = {
            "type": str(actor.get("type") or ""),
            "id": _id(actor.get("id")),
            "name": str(actor.get("name") or ""),
        }
    return push
