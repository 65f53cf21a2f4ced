"""The agent's case page around the conversation: what its side panel and composer need (the admin's statuses,
types, field configuration, custom fields, organisations, contacts, tag suggestions, the signature), and reading
the side panel's controls into the API's `CaseUpdate` (decision 0231). Same use cases as the REST API: one typed
call to the cases service each, never the API over HTTP."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import FormData

from contracts import case_config as cc
from contracts import cases as c
from contracts import errors
from contracts.case_work import ResolvedSignature
from contracts.search import Viewer
from gateway.reference_cache import ReferenceLists

# the side panel's controls, named as the API's fields; built-ins an admin may hide or require (cases' H2 rules)
CONFIGURABLE = ("type_id", "category", "solution", "due_at", "external_ref", "organisation_id", "follower_ids", "tags")
_IDS = ("assignee_id", "group_id", "type_id", "organisation_id", "status_id", "requester_id")
_TEXTS = ("category", "solution", "external_ref", "inform_contact")  # '' clears it (inform_contact: the org's)
CUSTOM_PREFIX = "custom_fields."
DORMANT = "dormant"
# how the case's contact is informed (B16); '' follows the organisation's customer mail setting
INFORM_CHOICES = [
    ("", "Default"),
    ("full", "Email conversation"),
    ("link", "Link only"),
    ("never", "Never"),
]
INHERITED_TIMEOUT = 0.5  # seconds the case page gives notifications for the hint beside "Default" (inform_contact)
SOLVED_LOOKED_AT = 25  # how many resolved cases like this one the suggested solutions are picked from
SUGGESTIONS = 5
TAG_SUGGESTIONS = 50  # how many recently changed cases the tag suggestions are gathered from


@dataclass(frozen=True)
class PanelLists:
    """What the side panel and the composer offer that does not depend on the case (read beside it)."""

    statuses: list[cc.CaseStatusRead]
    types: list[cc.CaseTypeRead]
    configs: list[cc.FieldConfigRead]
    custom: list[cc.CustomFieldRead]
    recent_tags: set[str]
    sources: list[cc.CaseSourceRead]


async def panel_lists(cases: Any, reference: ReferenceLists, viewer: Viewer | None) -> PanelLists:
    """The admin's lists (kept by `reference`, decision 0210) and the tags of recently changed cases; each read
    on its own, so one slow list does not block."""
    statuses, types, configs, custom, recent, sources = await asyncio.gather(
        reference.statuses(),
        reference.case_types(),
        reference.field_configs(),
        reference.custom_fields(),
        cases.list_cases(filters=c.CaseFilter(sort=c.CaseSort.UPDATED_DESC, limit=TAG_SUGGESTIONS), viewer=viewer),
        reference.case_sources(),
    )
    tags = {t for other in recent.items for t in other.tags}
    return PanelLists(statuses, types, configs, custom, tags, sources)


def panel_context(
    case: c.CaseRead, lists: PanelLists, signature: ResolvedSignature | None, solved: list[c.CaseRead]
) -> dict[str, Any]:
    """The side panel's and the composer's choices for this case (`solved`: resolved cases like it)."""
    rules = {f.field: f for f in lists.configs}
    shown = {name: not (rules[name].hidden or not rules[name].used) if name in rules else True for name in CONFIGURABLE}
    required = {
        name: bool(rules[name].required and rules[name].used) if name in rules else False for name in CONFIGURABLE
    }
    # the pickers of people carry the chosen ones only; others are searched in the directory as one types
    follower_choices = {f.id: _person(f) for f in case.followers}
    return {
        "statuses": sorted(lists.statuses, key=lambda s: (s.position, s.id)),
        "case_types": [t for t in lists.types if t.active or (case.type and case.type.id == t.id)],
        "shown": shown,
        "required": required,
        "custom_defs": [d for d in lists.custom if d.used and not d.hidden],
        # the picker carries the chosen one only; others are searched as one types (/organisations/choices)
        "organisations": [case.organisation] if case.organisation else [],
        "follower_choices": sorted(follower_choices.items(), key=lambda kv: kv[1].lower()),
        "requester_choice": _person(case.requester) if case.requester else None,
        "tag_suggestions": sorted(lists.recent_tags | set(case.tags)),
        "signature": signature,
        # the admin's active sources, and the case's own even when an admin has hidden it since (A7)
        "case_sources": [src for src in lists.sources if src.active or src.key == case.source],
        "inform_choices": INFORM_CHOICES,
        "suggested_solutions": suggested_solutions(case, solved),
        "source_name": next((src.name for src in lists.sources if src.key == case.source), case.source),
        "inform_label": dict(INFORM_CHOICES)[case.inform_contact.value if case.inform_contact else ""],
    }


def solved_like(case: c.CaseRead) -> c.CaseFilter:
    """Resolved and closed cases like this one (B16's suggested solutions): of its category, else of its type,
    else matching its title; the most recently changed first."""
    like: dict[str, Any] = {"q": case.title[:200]}
    if case.category:
        like = {"category": case.category}
    elif case.type is not None:
        like = {"type_id": case.type.id}
    return c.CaseFilter(
        statuses=[c.Status.RESOLVED, c.Status.CLOSED], sort=c.CaseSort.UPDATED_DESC, limit=SOLVED_LOOKED_AT, **like
    )


def suggested_solutions(case: c.CaseRead, solved: list[c.CaseRead]) -> list[tuple[c.CaseRead, str]]:
    """The solutions those cases recorded, each text once, at most `SUGGESTIONS`, to insert into a reply."""
    seen: set[str] = set()
    picked: list[tuple[c.CaseRead, str]] = []
    for other in solved:
        text = (other.solution or "").strip()
        if other.id == case.id or not text or text.casefold() in seen:
            continue
        seen.add(text.casefold())
        picked.append((other, text))
        if len(picked) == SUGGESTIONS:
            break
    return picked


async def inherited_conversation(rpc: Any, case: c.CaseRead) -> str | None:
    """What "Default" of inform_contact means for this case now (the organisation's customer mail setting, else the
    workspace's), as the side panel names it; None when notifications does not answer at once (the page does
    not wait for a hint)."""
    org_id = case.organisation.id if case.organisation else None
    try:
        found = await rpc.call(
            "notifications", "get_customer_mail_settings", organisation_id=org_id, timeout=INHERITED_TIMEOUT
        )
        mode = str(found["effective"]["conversation"])
    except (errors.DomainError, KeyError, TypeError):
        return None
    return dict(INFORM_CHOICES).get(mode)


def _person(contact: c.ContactRef) -> str:
    """A contact as the people pickers show one: "Name <address>", or whichever of the two it has."""
    if contact.name and contact.email:
        return f"{contact.name} <{contact.email}>"
    return contact.name or contact.email or f"contact {contact.id}"


async def signature(cases: Any, agent_id: int, mailbox: str | None) -> ResolvedSignature | None:
    """The greeting and signature a public reply of this agent gets (None when it cannot be read now)."""
    try:
        resolved: ResolvedSignature = await cases.resolve_signature(agent_id=agent_id, mailbox=mailbox)
    except errors.DomainError:
        return None
    return resolved


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _id(raw: str, name: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise errors.ValidationFailed(message=f"{name} must be an id", details={name: raw})
    return int(raw)


def _when(raw: str, name: str) -> datetime | None:
    """A date or `YYYY-MM-DDTHH:MM` from the page, read as UTC (the page shows times in UTC)."""
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise errors.ValidationFailed(
            message=f"{name} must be a date, e.g. 2031-05-04 or 2031-05-04T09:30", details={name: raw}
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def current_values(case: c.CaseRead) -> dict[str, Any]:
    """The case's fields as the side panel's controls carry them (to send only what the agent changed)."""
    return {
        "title": case.title,
        "description": case.description,
        "status": case.status.value,
        "status_id": case.status_id,
        "priority": case.priority.value,
        "assignee_id": case.assignee.id if case.assignee else None,
        "group_id": case.group.id if case.group else None,
        "type_id": case.type.id if case.type else None,
        "category": case.category,
        "solution": case.solution,
        "due_at": case.due_at,
        "external_ref": case.external_ref,
        "organisation_id": case.organisation.id if case.organisation else None,
        "requester_id": case.requester.id if case.requester else None,
        "tags": sorted(case.tags),
        "follower_ids": sorted(f.id for f in case.followers),
        "source": case.source,
        "inform_contact": case.inform_contact.value if case.inform_contact else None,
        **{f"{CUSTOM_PREFIX}{k}": v for k, v in case.custom_fields.items()},
    }


def read_field(form: FormData, name: str) -> Any:
    """One control's value as the API's field takes it ('' clears an optional field)."""
    raw = _text(form, name)
    if name in _IDS:
        return _id(raw, name)
    if name in _TEXTS:
        return raw or None
    if name == "due_at":
        return _when(raw, name)
    if name == "tags":
        return sorted({t.strip() for t in form.getlist("tags") if isinstance(t, str) and t.strip()})
    if name == "follower_ids":
        return sorted({i for v in form.getlist("follower_ids") if isinstance(v, str) and (i := _id(v.strip(), name))})
    if name.startswith(CUSTOM_PREFIX):
        return raw or None
    return raw  # title, description, status, priority


def dormancy(form: FormData) -> c.Dormancy:
    """Dormant until a date, for a number of days, or until further notice."""
    until, days = _text(form, "dormant.until"), _text(form, "dormant.days")
    if until:
        return c.Dormancy(mode=c.DormantMode.UNTIL_DATE, until=_when(until, "dormant.until"))
    if days:
        if not days.isdigit():
            raise errors.ValidationFailed(message="dormant for a whole number of days", details={"days": days})
        return c.Dormancy(mode=c.DormantMode.FOR_PERIOD, days=int(days))
    return c.Dormancy(mode=c.DormantMode.UNTIL_FURTHER_NOTICE)


def changes_from_form(
    form: FormData, case: c.CaseRead, statuses: list[cc.CaseStatusRead], only: str | None
) -> dict[str, Any]:
    """The `CaseUpdate` fields the form changes: the one control that changed (`only`, htmx's HX-Trigger-Name),
    or, posted as a whole, every control whose value differs from the case's."""
    if only == DORMANT or (only is None and DORMANT in form):
        chosen = _id(_text(form, "dormant.status_id"), "status_id")
        sleeping = [s for s in statuses if s.category is c.Status.DORMANT]
        status_id = chosen if chosen in {s.id for s in sleeping} else (sleeping[0].id if sleeping else None)
        if status_id is None:
            raise errors.ValidationFailed(message="there is no dormant status to put the case in")
        return {"status_id": status_id, "dormant": dormancy(form).model_dump(mode="json", exclude_none=True)}
    now = current_values(case)
    names = [only] if only else [k for k in form if k in now or k.startswith(CUSTOM_PREFIX) or k in ("tags",)]
    changes: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name in dict.fromkeys(names):
        if name not in now and not name.startswith(CUSTOM_PREFIX):
            continue
        value = read_field(form, name)
        if name in ("status", "source") and not value:
            continue
        if value == now.get(name) or (value in (None, "") and now.get(name) in (None, "")):
            continue
        if name.startswith(CUSTOM_PREFIX):
            custom[name.removeprefix(CUSTOM_PREFIX)] = value
        else:
            changes[name] = value
    if custom:
        changes["custom_fields"] = custom
    if "status_id" in changes and "status" in changes:
        changes.pop("status")  # the admin's status names its category
    return changes
