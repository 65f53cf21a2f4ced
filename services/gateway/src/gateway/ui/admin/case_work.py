"""Admin areas of ready-made work: case templates, canned replies and recurring cases (a template on a schedule)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, model_validator

from contracts import case_work as cw
from contracts import cases as c
from gateway.context import AppContext
from gateway.ui.admin import common
from gateway.ui.admin.case_config import CATEGORY_LABELS
from gateway.ui.admin.crud import Area, Field, Options, mount
from gateway.ui.admin.sla import PRIORITY_LABELS

CASES = "Cases"
UNIT_LABELS = (("day", "Days"), ("week", "Weeks"), ("month", "Months"))


async def _type_options(ctx: AppContext) -> Options:
    return [(str(t.id), t.name) for t in await ctx.cases.list_case_types()]


async def _group_options(ctx: AppContext) -> Options:
    return [(str(g.id), g.name) for g in await ctx.cases.list_groups()]


async def _agent_options(ctx: AppContext) -> Options:
    return [(str(a.id), a.name or a.email) for a in await ctx.cases.list_agents()]


async def _template_options(ctx: AppContext) -> Options:
    return [(str(t.id), t.name) for t in await ctx.cases.list_templates()]


# -- templates ---------------------------------------------------------------------------------


async def _templates(ctx: AppContext) -> list[cw.TemplateRead]:
    return await ctx.cases.list_templates()


class TemplateForm(cw.TemplateFields):
    """The template form: type, group and assignee are picked from lists."""

    @model_validator(mode="before")
    @classmethod
    def _ids(cls, data: Any) -> Any:
        return common.with_ids(data, ("type_id", "group_id", "assignee_id"))


async def _save_template(ctx: AppContext, data: BaseModel, item_id: int | None) -> cw.TemplateRead:
    assert isinstance(data, TemplateForm)
    fields = cw.TemplateFields.model_validate(data.model_dump())
    if item_id is None:
        return await ctx.cases.create_template(data=fields)
    return await ctx.cases.update_template(template_id=item_id, data=fields)


TEMPLATES = Area(
    path="templates",
    title="Case templates",
    singular="template",
    object_type="template",
    description="Ready-made cases: title, description, type, priority, group and assignee filled in.",
    group=CASES,
    fields=(
        Field("name", "Template name", required=True, help="How agents find it, e.g. “New employee”."),
        Field("title", "Case title", required=True),
        Field("description", "Description", kind="textarea"),
        Field("type_id", "Type", kind="select", options=_type_options),
        Field("default_priority", "Priority", kind="select", options=PRIORITY_LABELS, required=True),
        Field("default_status", "Status", kind="select", options=CATEGORY_LABELS, required=True),
        Field("group_id", "Group", kind="select", options=_group_options),
        Field("assignee_id", "Assignee", kind="select", options=_agent_options),
        Field("instructions", "Instructions for agents", kind="textarea"),
        Field("solution", "Solution", kind="textarea", help="A known solution, copied into the case."),
    ),
    columns=(("name", "Name"), ("title", "Case title"), ("default_priority", "Priority")),
    labels={"default_priority": dict(PRIORITY_LABELS)},
    write_model=TemplateForm,
    list_items=_templates,
    save=_save_template,
    defaults={"default_priority": c.Priority.MEDIUM.value, "default_status": c.Status.NEW.value},
)


# -- canned replies ----------------------------------------------------------------------------


class CannedReplyRow(cw.CannedReplyRead):
    """A canned reply as the list shows it: the start of its text (the whole text is on its own page)."""

    preview: str = ""


async def _canned_replies(ctx: AppContext) -> list[CannedReplyRow]:
    rows = []
    for r in await ctx.cases.list_canned_replies():
        text = " ".join(r.body.split())
        rows.append(CannedReplyRow(**r.model_dump(), preview=text if len(text) <= 120 else text[:119] + "…"))
    return rows


async def _save_canned_reply(ctx: AppContext, data: BaseModel, item_id: int | None) -> cw.CannedReplyRead:
    assert isinstance(data, cw.CannedReplyCreate) and item_id is None  # the service has no update
    return await ctx.cases.create_canned_reply(data=data)


async def _delete_canned_reply(ctx: AppContext, item_id: int) -> None:
    await ctx.cases.delete_canned_reply(reply_id=item_id)


CANNED_REPLIES = Area(
    path="canned-replies",
    title="Canned replies",
    singular="canned reply",
    object_type="canned_reply",
    description="Answers agents insert into a reply with one click.",
    group=CASES,
    fields=(
        Field("title", "Title", required=True),
        Field("body", "Text", kind="textarea", required=True),
    ),
    columns=(("title", "Title"), ("preview", "Text")),
    write_model=cw.CannedReplyCreate,
    list_items=_canned_replies,
    save=_save_canned_reply,
    can_edit=False,  # to change one, delete it and add it again
    delete=_delete_canned_reply,
)


# -- recurring cases ---------------------------------------------------------------------------


class RecurrenceForm(BaseModel):
    """The schedule form: everything but `active` is fixed once created (the service changes only that)."""

    template_id: int | None = None
    every: int | str | None = None
    unit: str | None = None
    start_at: str | None = None
    active: bool = True


class RecurrenceRow(cw.RecurrenceRead):
    """A schedule as the list shows it: its template's name and its rhythm in words."""

    name: str = ""
    rhythm: str = ""
    next_case: str = ""


async def _recurrences(ctx: AppContext) -> list[RecurrenceRow]:
    names = {t.id: t.name for t in await ctx.cases.list_templates()}
    rows = []
    for r in await ctx.cases.list_recurrences():
        unit = r.unit.value if r.every == 1 else r.unit.value + "s"
        rhythm = f"Every {unit}" if r.every == 1 else f"Every {r.every} {unit}"
        rows.append(
            RecurrenceRow(
                **r.model_dump(),
                name=names.get(r.template_id, f"#{r.template_id}"),
                rhythm=rhythm,
                next_case=r.next_at.strftime("%Y-%m-%d %H:%M"),
            )
        )
    return rows


def _in_utc(value: str | None) -> str | datetime | None:
    """The form asks for a time in UTC; the contract takes times with their offset (anything else is left for
    its validation to refuse next to the field)."""
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        return value
    return parsed.replace(tzinfo=UTC) if parsed is not None and parsed.tzinfo is None else value


async def _save_recurrence(ctx: AppContext, data: BaseModel, item_id: int | None) -> cw.RecurrenceRead:
    assert isinstance(data, RecurrenceForm)
    if item_id is not None:
        return await ctx.cases.update_recurrence(recurrence_id=item_id, changes=cw.RecurrenceUpdate(active=data.active))
    values = data.model_dump(exclude={"active"})
    values["start_at"] = _in_utc(values["start_at"])
    schedule = cw.RecurrenceCreate.model_validate(values)
    created = await ctx.cases.create_recurrence(data=schedule)
    if not data.active:  # added paused
        created = await ctx.cases.update_recurrence(recurrence_id=created.id, changes=cw.RecurrenceUpdate(active=False))
    return created


def _recurrence_form(item: Any) -> dict[str, Any]:
    start: datetime = item.start_at
    return {
        "template_id": item.template_id,
        "every": item.every,
        "unit": item.unit.value,
        "start_at": start.strftime("%Y-%m-%dT%H:%M"),
        "active": item.active,
    }


RECURRENCES = Area(
    path="recurrences",
    title="Recurring cases",
    singular="schedule",
    object_type="recurrence",
    description="A template opened as a new case every so many days, weeks or months; pause and resume.",
    group=CASES,
    fields=(
        Field(
            "template_id",
            "Template",
            kind="select",
            options=_template_options,
            required=True,
            on_create_only=True,
            help="The case to open each time; add it under Case templates first.",
        ),
        Field("every", "Every", kind="number", required=True, on_create_only=True),
        Field("unit", "Unit", kind="select", options=UNIT_LABELS, required=True, on_create_only=True),
        Field(
            "start_at",
            "First case on (UTC)",
            kind="datetime",
            required=True,
            on_create_only=True,
            help="Then one case every interval. Slots missed while paused are not made up.",
        ),
        Field("active", "Active (untick to pause)", kind="checkbox"),
    ),
    columns=(("name", "Template"), ("rhythm", "Repeats"), ("next_case", "Next case (UTC)"), ("active", "Active")),
    write_model=RecurrenceForm,
    list_items=_recurrences,
    save=_save_recurrence,
    to_form=_recurrence_form,
    defaults={"active": True, "every": 1, "unit": "week"},
)


def install(router: APIRouter) -> None:
    mount(router, TEMPLATES)
    mount(router, CANNED_REPLIES)
    mount(router, RECURRENCES)
