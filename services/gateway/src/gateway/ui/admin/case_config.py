"""Admin areas of the case model: statuses (each mapped onto a category the system understands) and types."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from contracts import case_config as cc
from contracts import cases as c
from contracts.errors import NotFound, ValidationFailed
from gateway.context import AppContext
from gateway.ui.admin.crud import Area, Field, mount

CASES = "Cases"
CATEGORY_LABELS = (
    (c.Status.NEW.value, "New"),
    (c.Status.OPEN.value, "Open"),
    (c.Status.WAITING.value, "Waiting on contact"),
    (c.Status.DORMANT.value, "Dormant"),
    (c.Status.RESOLVED.value, "Resolved"),
    (c.Status.CLOSED.value, "Closed"),
)


async def _save_status(ctx: AppContext, data: BaseModel, item_id: int | None) -> cc.CaseStatusRead:
    assert isinstance(data, cc.CaseStatusWrite)
    return await ctx.cases.save_case_status(data=data, status_id=item_id)


async def _save_type(ctx: AppContext, data: BaseModel, item_id: int | None) -> cc.CaseTypeRead:
    assert isinstance(data, cc.CaseTypeWrite)
    return await ctx.cases.save_case_type(data=data, type_id=item_id)


class SourceForm(cc.CaseSourceWrite):
    """The sources area's form: the key is given once, when the source is added."""

    key: c.SourceKey | None = None


async def _save_source(ctx: AppContext, data: BaseModel, item_id: int | None) -> cc.CaseSourceRead:
    assert isinstance(data, SourceForm)
    write = cc.CaseSourceWrite(name=data.name, active=data.active, position=data.position, confirm=data.confirm)
    if item_id is None:
        if data.key is None:
            raise ValidationFailed(message="a new source needs a key", details={"key": None})
        if any(src.key == data.key for src in await ctx.cases.list_case_sources()):
            raise ValidationFailed(message=f"source {data.key!r} already exists", details={"key": data.key})
        return await ctx.cases.save_case_source(key=data.key, data=write)
    found = next((src for src in await ctx.cases.list_case_sources() if src.id == item_id), None)
    if found is None:
        raise NotFound(message=f"no source {item_id}", details={"id": item_id})
    return await ctx.cases.save_case_source(key=found.key, data=write)


async def _sources(ctx: AppContext) -> list[cc.CaseSourceRead]:
    return await ctx.cases.list_case_sources()


async def _statuses(ctx: AppContext) -> list[cc.CaseStatusRead]:
    return await ctx.cases.list_case_statuses()


async def _types(ctx: AppContext) -> list[cc.CaseTypeRead]:
    return await ctx.cases.list_case_types()


STATUSES = Area(
    path="statuses",
    title="Statuses",
    singular="status",
    object_type="case_status",
    description="Rename statuses and add your own, each mapped onto a category the workflow understands.",
    group=CASES,
    fields=(
        Field("name", "Name", required=True),
        Field(
            "category",
            "Category",
            kind="select",
            options=CATEGORY_LABELS,
            required=True,
            help="Rules, SLA clocks and reports treat the status as this category.",
        ),
        Field(
            "position",
            "Position",
            kind="number",
            help="Lists and pickers show statuses from the lowest position up. Empty: a new status goes last.",
        ),
    ),
    columns=(("position", "Position"), ("name", "Name"), ("category", "Category"), ("builtin", "Built in")),
    labels={"category": dict(CATEGORY_LABELS)},
    write_model=cc.CaseStatusWrite,
    list_items=_statuses,
    save=_save_status,
)

TYPES = Area(
    path="types",
    title="Case types",
    singular="type",
    object_type="case_type",
    description="Types such as Fault or Order, with instructions agents see on cases of the type.",
    group=CASES,
    fields=(
        Field("name", "Name", required=True),
        Field("instructions", "Instructions for agents", kind="textarea"),
        Field("active", "Active (offered on new cases)", kind="checkbox"),
    ),
    columns=(("name", "Name"), ("active", "Active")),
    defaults={"active": True},
    write_model=cc.CaseTypeWrite,
    list_items=_types,
    save=_save_type,
)


SOURCES = Area(
    path="sources",
    title="Sources",
    singular="source",
    object_type="case_source",
    description="How cases come in (email, phone, walk-in...): agents pick a case's source from the active ones.",
    group=CASES,
    fields=(
        Field(
            "key",
            "Key",
            required=True,
            on_create_only=True,
            help="What the API and exports say: lower-case letters, digits and _, e.g. walk_in. It cannot change.",
        ),
        Field("name", "Name", required=True),
        Field("active", "Active (offered to agents)", kind="checkbox"),
        Field(
            "confirm",
            "Confirm new cases",
            kind="checkbox",
            help="A new case from this source mails its requester a confirmation with the link to follow it.",
        ),
        Field("position", "Position", kind="number", help="Pickers show sources from the lowest position up."),
    ),
    columns=(
        ("position", "Position"),
        ("name", "Name"),
        ("key", "Key"),
        ("active", "Active"),
        ("confirm", "Confirmed"),
        ("builtin", "Built in"),
    ),
    defaults={"active": True},
    write_model=SourceForm,
    list_items=_sources,
    save=_save_source,
)


def install(router: APIRouter) -> None:
    mount(router, STATUSES)
    mount(router, TYPES)
    mount(router, SOURCES)
