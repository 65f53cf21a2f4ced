"""A side-panel change refused for a stale version, said as a choice (decision 0249): "Ingrid set priority to
High meanwhile: keep mine / take theirs". Who and what come from the case's history and the case as it is now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from contracts import cases as c
from contracts.case_config import HistoryEntry
from gateway.ui.case_panel import CUSTOM_PREFIX, DORMANT
from gateway.ui.history_view import field_name

# the history rows a control's changes are recorded under (cases names a status change by its status's name)
HISTORY_NAMES = {"status_id": ("status_name", "status"), "assignee_id": ("assignee_id", "assignee")}
TOO_LONG = 80  # a longer text (a description) is cut in the sentence; the control shows it whole


@dataclass(frozen=True)
class Conflict:
    """The refused change: the control, the agent's value(s) to send again, and who set what meanwhile."""

    field: str
    label: str
    mine: list[str]
    who: str
    theirs: str


def _cut(text: str) -> str:
    return text if len(text) <= TOO_LONG else text[: TOO_LONG - 1] + "…"


def shown_value(case: c.CaseRead, field: str) -> str:
    """The case's value of one control, as a person reads it."""
    if field == "status_id":
        return case.status_name or case.status.value.capitalize()
    if field == "priority":
        return case.priority.value.capitalize()
    people = {"assignee_id": case.assignee, "group_id": case.group, "type_id": case.type}
    if field in people:
        ref = people[field]
        return str(getattr(ref, "name", "") or getattr(ref, "email", "") or "") if ref else "nobody"
    if field == "organisation_id":
        return case.organisation.name if case.organisation else "none"
    if field == "tags":
        return ", ".join(case.tags) or "no tags"
    if field == "follower_ids":
        return ", ".join(f.name or f.email or str(f.id) for f in case.followers) or "no followers"
    if field == "due_at":
        return case.due_at.strftime("%Y-%m-%d %H:%M UTC") if case.due_at else "no due date"
    if field.startswith(CUSTOM_PREFIX):
        value = case.custom_fields.get(field.removeprefix(CUSTOM_PREFIX))
        return "empty" if value in (None, "") else _cut(str(value))
    value = getattr(case, field, None)
    return "empty" if value in (None, "") else _cut(str(value))


def who_changed(history: list[HistoryEntry], field: str) -> str:
    """The newest author of a change to the control's field; of any change when the field has none."""
    names = HISTORY_NAMES.get(field, (field,))
    newest = sorted(history, key=lambda h: (h.created_at, h.id), reverse=True)
    entry = next((h for h in newest if h.field in names), None) or next(iter(newest), None)
    if entry is None:
        return "Someone"
    return entry.actor_name or entry.actor_type.value.capitalize()


def conflict(form: FormData, only: str | None, case: c.CaseRead, history: list[HistoryEntry]) -> Conflict | None:
    """The choice to offer for a refused change of one control; None for a change posted as a whole, or dormancy
    (those get the plain message and the current case)."""
    if not only or only == DORMANT:
        return None
    mine = [v.strip() for v in form.getlist(only) if isinstance(v, str)]
    label = field_name(only).removesuffix(" id")
    return Conflict(field=only, label=label, mine=mine, who=who_changed(history, only), theirs=shown_value(case, only))


def choices(context: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The names of the panel's choices by control (from the case page's context), to name the agent's value."""
    return {
        "priority": {p.value: p.value.capitalize() for p in c.Priority},
        "status_id": {str(s.id): s.name for s in context.get("statuses", [])},
        "assignee_id": {str(a.id): a.name or a.email for a in context.get("agents", [])},
        "group_id": {str(g.id): g.name for g in context.get("groups", [])},
        "type_id": {str(t.id): t.name for t in context.get("case_types", [])},
        "organisation_id": {str(o.id): o.name for o in context.get("organisations", [])},
        "follower_ids": {str(i): name for i, name in context.get("follower_choices", [])},
    }


def mine_shown(conflict: Conflict, names: dict[str, dict[str, str]]) -> str:
    """The agent's own value for the "keep mine" button, named as the control names it."""
    named = names.get(conflict.field, {})
    shown = [named.get(v, v) for v in conflict.mine if v != ""]
    return _cut(", ".join(shown)) if shown else "empty"
