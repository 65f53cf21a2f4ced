"""The case list's filters and sort as they travel in its URL (and in the export links and the save-search form).

The names are those of `GET /api/v1/cases` (`status`, `priority`, `group`, `assignee`, `requester`,
`organisation`, `type`, `tag`, `created_from`, ...), so a list's URL, its export link and the API call say the
same thing. A page's own links are built by the page, so a value that does not parse is dropped, not refused:
the list shows what the rest of the URL asks for (decision 0238).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from contracts import cases as c
from contracts.bounds import MAX_FIELD_KEY, MAX_FIELD_VALUE, MAX_ID, MAX_TAG

# the list's SLA choices: "at risk" = a target is close to (warning) or past (breached) its due time
SLA_FILTERS: dict[str, list[str]] = {
    "at_risk": ["warning", "breached"],
    "breached": ["breached"],
    "ok": ["ok"],
    "paused": ["paused"],
    "met": ["met"],
    "none": ["none"],
}
_SOURCE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,19}$")  # contracts.cases.SourceKey
SORTABLE = {"number", "priority", "updated", "created", "sla_due"}
UNASSIGNED = "none"


class MultiDict(Protocol):
    def getlist(self, key: str) -> list[Any]: ...


def _ids(values: list[Any]) -> list[int]:
    found = []
    for value in values:
        text = str(value).strip()
        if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ID:
            found.append(int(text))
    return list(dict.fromkeys(found))


def _one_id(values: list[Any]) -> int | None:
    ids = _ids(values[:1])
    return ids[0] if ids else None


def _day(values: list[Any]) -> date | None:
    try:
        return date.fromisoformat(str(values[0]).strip()[:10]) if values and str(values[0]).strip() else None
    except ValueError:
        return None


def _texts(values: list[Any]) -> list[str]:
    found: list[str] = []
    for value in values:
        found += [t.strip() for t in str(value).split(",") if t.strip() and len(t.strip()) <= MAX_TAG]
    return list(dict.fromkeys(found))[:20]


@dataclass
class ListQuery:
    """What the list is narrowed to, sorted by (None: newest first, or ranked for a plain word search)."""

    statuses: list[c.Status] = field(default_factory=list)
    priorities: list[c.Priority] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # keys of the admin's list of sources
    group_ids: list[int] = field(default_factory=list)
    assignee_id: int | None = None
    unassigned: bool = False
    requester_id: int | None = None
    organisation_id: int | None = None
    type_id: int | None = None
    tags: list[str] = field(default_factory=list)
    category: str = ""
    custom_fields: dict[str, str] = field(default_factory=dict)
    sla: str = ""
    created_from: date | None = None
    created_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    q: str = ""
    sort: c.CaseSort | None = None

    def narrowed(self) -> bool:
        """True when anything beyond the search words narrows or orders the list (a filtered list then, not a
        ranked search)."""
        return self.sort is not None or any(v for k, v in self.fields().items() if k not in {"q", "sort"})

    def fields(self) -> dict[str, Any]:
        """The fields of `contracts.cases.CaseFilter` this asks for (a "to" day is included: up to the next)."""
        return {
            "statuses": self.statuses,
            "priorities": self.priorities,
            "sources": self.sources,
            "group_ids": self.group_ids,
            "assignee_id": self.assignee_id,
            "unassigned": True if self.unassigned else None,
            "requester_id": self.requester_id,
            "organisation_id": self.organisation_id,
            "type_id": self.type_id,
            "tags": self.tags,
            "category": self.category or None,
            "custom_fields": self.custom_fields,
            "sla_states": SLA_FILTERS.get(self.sla, []),
            "created_from": _start(self.created_from),
            "created_to": _start(self.created_to, days=1),
            "updated_from": _start(self.updated_from),
            "updated_to": _start(self.updated_to, days=1),
            "q": self.q or None,
            "sort": self.sort or c.CaseSort.CREATED_DESC,
        }

    def case_filter(self, *, cursor: str | None = None, limit: int = 25) -> c.CaseFilter:
        return c.CaseFilter(**self.fields(), cursor=cursor, limit=limit)

    def params(self, *, sort: c.CaseSort | str | None = "same") -> list[tuple[str, str]]:
        """The query string's pairs (API names), with another sort when given."""
        chosen = self.sort if sort == "same" else sort
        pairs: list[tuple[str, str]] = [("status", s.value) for s in self.statuses]
        pairs += [("priority", p.value) for p in self.priorities]
        pairs += [("source", x) for x in self.sources]
        pairs += [("group", str(g)) for g in self.group_ids]
        if self.unassigned:
            pairs.append(("assignee", UNASSIGNED))
        elif self.assignee_id:
            pairs.append(("assignee", str(self.assignee_id)))
        for name, value in (
            ("requester", self.requester_id),
            ("organisation", self.organisation_id),
            ("type", self.type_id),
        ):
            if value:
                pairs.append((name, str(value)))
        pairs += [("tag", t) for t in self.tags]
        if self.category:
            pairs.append(("category", self.category))
        pairs += [("custom_field", f"{k}:{v}") for k, v in self.custom_fields.items()]
        if self.sla:
            pairs.append(("sla", self.sla))
        for name, day in (
            ("created_from", self.created_from),
            ("created_to", self.created_to),
            ("updated_from", self.updated_from),
            ("updated_to", self.updated_to),
        ):
            if day:
                pairs.append((name, day.isoformat()))
        if self.q:
            pairs.append(("q", self.q))
        if chosen:
            pairs.append(("sort", c.CaseSort(chosen).value))
        return pairs

    def query_string(
        self, *, drop: Collection[str] = (), sort: c.CaseSort | str | None = "same", requester: int | None = None
    ) -> str:
        """The list's URL query, less the parameters in `drop`, with another sort or requester when given."""
        query = self if requester is None else replace(self, requester_id=requester)
        return urlencode([(k, v) for k, v in query.params(sort=sort) if k not in drop])

    def sort_state(self, column: str) -> str:
        """`ascending`, `descending` or `none` for a column's aria-sort."""
        if self.sort is None:
            return "none"
        value = self.sort.value
        if value == column:
            return "ascending"
        return "descending" if value == f"-{column}" else "none"

    def sort_link(self, column: str) -> str:
        """The list sorted by `column`: descending first (newest, highest), ascending on a second click."""
        state = self.sort_state(column)
        wanted = column if state == "descending" else f"-{column}"
        return "/?" + self.query_string(sort=c.CaseSort(wanted))


def _start(day: date | None, *, days: int = 0) -> datetime | None:
    return datetime.combine(day + timedelta(days=days), time(0), tzinfo=UTC) if day else None


def _custom_fields(values: list[Any]) -> dict[str, str]:
    """`key:value` pairs (the API's `custom_field`); a text without a key is left out."""
    found: dict[str, str] = {}
    for value in values[:20]:
        key, sep, wanted = str(value).partition(":")
        if sep and key.strip() and len(key.strip()) <= MAX_FIELD_KEY and len(wanted) <= MAX_FIELD_VALUE:
            found[key.strip()] = wanted.strip()
    return found


def parse(values: MultiDict | Mapping[str, Any]) -> ListQuery:
    """The list's query from a URL's parameters or a form (values it cannot read are left out)."""
    get = values.getlist if hasattr(values, "getlist") else (lambda k: [values[k]] if k in values else [])

    assignee = [str(v) for v in get("assignee")]
    sort = str((get("sort") or [""])[0])
    sla = str((get("sla") or [""])[0])
    return ListQuery(
        statuses=list(dict.fromkeys(c.Status(v) for v in get("status") if v in set(c.Status))),
        priorities=list(dict.fromkeys(c.Priority(v) for v in get("priority") if v in set(c.Priority))),
        group_ids=_ids(get("group"))[:100],
        assignee_id=_one_id(assignee) if assignee[:1] != [UNASSIGNED] else None,
        unassigned=assignee[:1] == [UNASSIGNED],
        requester_id=_one_id(get("requester")),
        organisation_id=_one_id(get("organisation")),
        type_id=_one_id(get("type")),
        sources=list(dict.fromkeys(v for v in get("source") if isinstance(v, str) and _SOURCE_KEY.match(v)))[:10],
        tags=_texts(get("tag")),
        category=str((get("category") or [""])[0]).strip()[:200],
        custom_fields=_custom_fields(get("custom_field")),
        sla=sla if sla in SLA_FILTERS else "",
        created_from=_day(get("created_from")),
        created_to=_day(get("created_to")),
        updated_from=_day(get("updated_from")),
        updated_to=_day(get("updated_to")),
        q=str((get("q") or [""])[0]).strip()[:200],
        sort=c.CaseSort(sort) if sort in set(c.CaseSort) else None,
    )
