"""The admin audit log at /admin/audit: every admin change, newest first, filtered by who, what and when, each
shown as the fields it changed (old → new). It reads what GET /api/v1/audit reads (`gateway.audit_log`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from gateway import audit_log
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Field

BASE = "/admin/audit"
PAGE_SIZE = 25
LONGEST = 200  # characters of one value shown in the list; the API has the whole object
OBJECT_TYPES = (
    ("agent", "Agent"),
    ("group", "Group"),
    ("mailbox", "Mailbox"),
    ("api_key", "API key"),
    ("case_status", "Status"),
    ("case_type", "Case type"),
    ("case_settings", "Case settings"),
    ("custom_field", "Custom field"),
    ("field_config", "Field configuration"),
    ("sla_policy", "SLA policy"),
    ("business_calendar", "Business calendar"),
    ("template", "Template"),
    ("canned_reply", "Canned reply"),
    ("recurrence", "Recurring case"),
    ("signature", "Signature"),
    ("organisation", "Organisation"),
    ("contact", "Contact"),
    ("customer_mail_settings", "Customer mail settings"),
    ("suppression", "Suppression"),
)
FILTERS = ("actor", "object_type", "object_id", "since", "until")


def shown(value: Any) -> str:
    """One value as a person reads it in the list."""
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    else:
        text = str(value)
    return text if len(text) <= LONGEST else text[: LONGEST - 1] + "…"


def changes(before: Any, after: Any) -> list[tuple[str, str, str]]:
    """The fields that differ between two versions of an object, as (field, old, new); a create lists what was
    set, a delete what was there."""
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        names = list(new) + [k for k in old if k not in new]
        pairs = [(k, shown(old.get(k)), shown(new.get(k))) for k in names if old.get(k) != new.get(k)]
        return [(k, was, now) for k, was, now in pairs if was != now]  # "" and null read the same
    if before == after:
        return []
    return [("value", shown(before), shown(after))]


def _day(raw: str, field: str, problems: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems[field] = "A date like 2026-12-07."
        return None


async def audit_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    params = request.query_params
    values = {name: (params.get(name) or "").strip() for name in FILTERS}
    problems: dict[str, str] = {}
    actor = values["actor"]
    if actor and not (actor.isdigit() and 0 < int(actor) < 2**31):
        problems["actor"] = "Pick an agent from the list."
    if values["object_type"] and values["object_type"] not in dict(OBJECT_TYPES):
        problems["object_type"] = "Pick a kind of object from the list."
    if len(values["object_id"]) > 320:
        problems["object_id"] = "At most 320 characters."
    since, until = _day(values["since"], "since", problems), _day(values["until"], "until", problems)
    cursor = params.get("cursor") or ""
    entries: list[audit_log.AuditEntryRead] = []
    older: int | None = None
    if not problems:
        query = audit_log.AuditQuery(
            agent_id=int(actor) if actor else None,
            object_type=values["object_type"] or None,
            object_id=values["object_id"] or None,
            since=datetime.combine(since, time(), UTC) if since else None,
            # the whole day of "until" is included
            until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
            before_id=int(cursor) if cursor.isdigit() and len(cursor) < 19 else None,
            limit=PAGE_SIZE,
        )
        entries, older = await run_in_threadpool(audit_log.page, factory=ctx.db, query=query)
    agents = [(str(a.id), a.name) for a in await ctx.cases.list_agents()]
    fields = [
        {"f": Field("actor", "Who", kind="select"), "options": agents},
        {"f": Field("object_type", "What", kind="select"), "options": list(OBJECT_TYPES)},
        {"f": Field("object_id", "Object id"), "options": []},
        {"f": Field("since", "From (day)", kind="date"), "options": []},
        {"f": Field("until", "To (day)", kind="date"), "options": []},
    ]
    kept = {k: v for k, v in values.items() if v}
    context = {
        "entries": [(e, changes(e.before, e.after)) for e in entries],
        "labels": dict(OBJECT_TYPES),
        "fields": fields,
        "values": values,
        "errors": problems,
        "filtered": bool(kept),
        "older_url": f"{BASE}?{urlencode({**kept, 'cursor': older})}" if older is not None else "",
        "newest_url": f"{BASE}?{urlencode(kept)}" if cursor else "",
    }
    return common.render(request, "admin/audit.html", context, status_code=422 if problems else 200)


def install(router: APIRouter) -> None:
    common.add_section(
        "Audit", common.Section(BASE, "Audit log", "Every admin change: who, what, before and after, when.")
    )
    router.add_api_route(BASE, audit_page, methods=["GET"])
