"""Admin areas of service levels: business calendars (opening hours per weekday, public holidays of a country,
extra closed days) and SLA policies (targets for the cases they match, counted on a calendar).

Policies are an `Area`. A calendar's weekly hours and list of dates do not fit one field each, so calendars
have their own pages, built from the same form macros and checks (CSRF, version token, errors by field)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError, model_validator
from starlette.datastructures import FormData
from starlette.responses import Response

from contracts import cases as c
from contracts import errors
from contracts.sla import BusinessCalendarRead, BusinessCalendarWrite, SlaPolicyRead, SlaPolicyWrite
from gateway import admin_changes
from gateway import admin_objects as objects
from gateway.context import AppContext
from gateway.ui import session as s
from gateway.ui.admin import common
from gateway.ui.admin.common import Admin, Ctx
from gateway.ui.admin.crud import Area, Field, Options, mount
from gateway.ui.routes import checked_form

CASES = "Cases"
WEEKDAYS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
PRIORITY_LABELS = tuple((p.value, p.value.capitalize()) for p in c.Priority)
_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")
_DATE_SPLIT = re.compile(r"[\s,;]+")
CALENDARS = "/admin/calendars"


# -- calendars ---------------------------------------------------------------------------------


@cache
def _zones() -> tuple[tuple[str, str], ...]:
    return tuple((z, z) for z in sorted(zoneinfo.available_timezones()))


CALENDAR_FIELDS = (
    Field("name", "Name", required=True),
    Field("timezone", "Time zone", kind="select", required=True, help="Opening hours are wall-clock times here."),
    Field(
        "country",
        "Public holidays of",
        help="Two-letter country code (ISO 3166), e.g. DE, NO, US. Empty: no public holidays.",
    ),
    Field("subdivision", "Region", help="Optional region code for regional holidays, e.g. BY (Bavaria) with DE."),
)


def _spec(f: Field) -> dict[str, Any]:
    return {"f": f, "options": list(_zones()) if f.name == "timezone" else []}


def _calendar_values(item: BusinessCalendarRead | None) -> dict[str, Any]:
    """The form's values: stored ones, or those of a new calendar (office hours, UTC)."""
    data = item if item is not None else BusinessCalendarWrite(name="x")
    return {
        "name": item.name if item is not None else "",
        "timezone": data.timezone,
        "country": data.country or "",
        "subdivision": data.subdivision or "",
        "closed_dates": ", ".join(d.isoformat() for d in sorted(data.closed_dates)),
        "hours": {day: [list(span) for span in data.hours.get(day, [])] for day, _ in WEEKDAYS},
    }


def _posted_values(form: FormData) -> dict[str, Any]:
    hours: dict[str, list[list[str]]] = {}
    for day, _ in WEEKDAYS:
        starts = [str(v).strip() for v in form.getlist(f"hours-{day}-from")]
        ends = [str(v).strip() for v in form.getlist(f"hours-{day}-to")]
        hours[day] = [[a, b] for a, b in zip(starts, ends, strict=False) if a or b]
    return {
        "name": common.text(form, "name"),
        "timezone": common.text(form, "timezone"),
        "country": common.text(form, "country"),
        "subdivision": common.text(form, "subdivision"),
        "closed_dates": common.text(form, "closed_dates"),
        "hours": hours,
    }


def _with_more_hours(form: FormData, values: dict[str, Any]) -> dict[str, Any] | None:
    """ "+ hours" submits the form to get one more empty window on that day; nothing is saved."""
    day = common.text(form, "add_hours")
    if day not in dict(WEEKDAYS):
        return None
    spans = values["hours"][day]
    spans.extend([["", ""]] * (2 if not spans else 1))  # an empty day already shows one empty window
    return values


def _calendar_write(values: dict[str, Any]) -> BusinessCalendarWrite:
    """The write model from the form, or CalendarFormError with the problems by field."""
    problems: dict[str, str] = {}
    for day, label in WEEKDAYS:
        for start, end in values["hours"][day]:
            if not (_CLOCK.match(start) and _CLOCK.match(end)):
                problems[f"hours-{day}"] = f"{label}: give both times as HH:MM, e.g. 08:00 and 16:30."
                break
    dates: list[date] = []
    for word in _DATE_SPLIT.split(values["closed_dates"]):
        if not word:
            continue
        try:
            dates.append(date.fromisoformat(word))
        except ValueError:
            problems["closed_dates"] = f"“{word}” is not a date (YYYY-MM-DD)."
            break
    if problems:
        raise CalendarFormError(problems)
    try:
        return BusinessCalendarWrite(
            name=values["name"],
            timezone=values["timezone"] or "UTC",
            hours={day: spans for day, spans in values["hours"].items() if spans},
            country=values["country"] or None,
            subdivision=values["subdivision"] or None,
            closed_dates=dates,
        )
    except ValidationError as exc:
        raise CalendarFormError(common.field_errors(exc, _FORM_FIELDS)) from None


class CalendarFormError(Exception):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


_FORM_FIELDS = {"name", "timezone", "country", "subdivision", "closed_dates"}


def _service_problems(exc: errors.DomainError) -> dict[str, str]:
    """The cases service names what is wrong with a calendar in its message; put it next to that field."""
    message = exc.message.removeprefix("calendar is invalid: ")
    for day, label in WEEKDAYS:
        if message.startswith(f"{day}:"):
            return {f"hours-{day}": f"{label}:{message.removeprefix(day + ':')}"}
    for marker, key in (("time zone", "timezone"), ("subdivision", "subdivision"), ("country", "country")):
        if marker in message:
            return {key: message[0].upper() + message[1:]}
    return common.field_errors(exc, _FORM_FIELDS)


async def _change_calendar(
    ctx: AppContext,
    admin: dict[str, Any],
    data: BusinessCalendarWrite | None,
    calendar_id: int | None,
    version: str | None = None,
) -> BusinessCalendarRead | None:
    """Every calendar change of the console goes through here (save, or delete when `data` is None): the
    version check and the audit log are the API's."""
    action = "create" if calendar_id is None else "delete" if data is None else "update"

    async def apply() -> BusinessCalendarRead | None:
        if data is None:
            assert calendar_id is not None
            await ctx.cases.delete_business_calendar(calendar_id=calendar_id)
            return None
        return await ctx.cases.save_business_calendar(data=data, calendar_id=calendar_id)

    return await admin_changes.guarded_change(
        ctx,
        actor=admin_changes.ChangeActor.web(admin),
        object_type="business_calendar",
        object_id=calendar_id,
        action=action,
        expected_version=version or None,
        load_before=None if calendar_id is None else lambda: objects.business_calendar(ctx, calendar_id),
        apply=apply,
    )


async def _calendar(ctx: AppContext, calendar_id: int) -> BusinessCalendarRead | None:
    return next((cal for cal in await ctx.cases.list_business_calendars() if cal.id == calendar_id), None)


def _hours_summary(cal: BusinessCalendarRead) -> str:
    """The week in a few words: consecutive days with the same hours together ("Mon-Fri 08:00-16:00")."""
    runs: list[tuple[str, str, str]] = []  # (first day, last day, hours)
    for day, label in WEEKDAYS:
        spans = ", ".join(f"{a}-{b}" for a, b in cal.hours.get(day, []))
        if runs and runs[-1][2] == spans and spans:
            runs[-1] = (runs[-1][0], label[:3], spans)
        elif spans:
            runs.append((label[:3], label[:3], spans))
        else:
            runs.append(("", "", ""))
    parts = [f"{a}-{b} {h}" if a != b else f"{a} {h}" for a, b, h in runs if h]
    return "; ".join(parts) or "Always closed"


async def _calendar_page(
    request: Request,
    ctx: AppContext,
    item: BusinessCalendarRead | None,
    values: dict[str, Any],
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "item": item,
        "version": common.version_of(item) if item is not None else "",
        "fields": [_spec(f) for f in CALENDAR_FIELDS],
        "weekdays": WEEKDAYS,
        "values": values,
        "errors": problems or {},
    }
    if item is None:
        calendars = await ctx.cases.list_business_calendars()
        context["items"] = [(cal, _hours_summary(cal)) for cal in calendars]
    return common.render(request, "admin/calendars.html", context, status_code=status_code)


async def calendars_page(request: Request, ctx: Ctx, _admin: Admin) -> Response:
    return await _calendar_page(request, ctx, None, _calendar_values(None))


async def create_calendar(request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    values = _posted_values(form)
    if (more := _with_more_hours(form, values)) is not None:
        return await _calendar_page(request, ctx, None, more)
    try:
        created = await _change_calendar(ctx, admin, _calendar_write(values), None)
    except CalendarFormError as exc:
        return await _calendar_page(request, ctx, None, values, exc.problems, 422)
    except errors.DomainError as exc:
        return await _calendar_page(request, ctx, None, values, _service_problems(exc), _status(exc))
    assert created is not None
    s.flash(request, f"Calendar “{created.name}” added.", "ok")
    return RedirectResponse(CALENDARS, status_code=303)


async def calendar_page(calendar_id: int, request: Request, ctx: Ctx, _admin: Admin) -> Response:
    item = await _calendar(ctx, calendar_id)
    if item is None:
        return common.not_found(request, "calendar")
    return await _calendar_page(request, ctx, item, _calendar_values(item))


async def update_calendar(calendar_id: int, request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    item = await _calendar(ctx, calendar_id)
    if item is None:
        return common.not_found(request, "calendar")
    values = _posted_values(form)
    if (more := _with_more_hours(form, values)) is not None:
        return await _calendar_page(request, ctx, item, more)
    try:
        saved = await _change_calendar(ctx, admin, _calendar_write(values), calendar_id, common.text(form, "version"))
    except admin_changes.VersionConflict:
        return await _conflict(request, ctx, calendar_id)
    except CalendarFormError as exc:
        return await _calendar_page(request, ctx, item, values, exc.problems, 422)
    except errors.DomainError as exc:
        return await _calendar_page(request, ctx, item, values, _service_problems(exc), _status(exc))
    assert saved is not None
    s.flash(request, f"Calendar “{saved.name}” saved.", "ok")
    return RedirectResponse(CALENDARS, status_code=303)


async def delete_calendar(calendar_id: int, request: Request, ctx: Ctx, admin: Admin) -> Response:
    form = await checked_form(request)
    item = await _calendar(ctx, calendar_id)
    if item is None:
        return common.not_found(request, "calendar")
    try:
        await _change_calendar(ctx, admin, None, calendar_id, common.text(form, "version"))
    except admin_changes.VersionConflict:
        return await _conflict(request, ctx, calendar_id)
    except errors.DomainError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        users = details.get("policies")
        message = (
            f"This calendar cannot be deleted: SLA policies use it ({', '.join(map(str, users))}). "
            "Give those policies another calendar first."
            if isinstance(users, list) and users
            else exc.message
        )
        problems = {common.FORM_ERROR: message}
        return await _calendar_page(request, ctx, item, _calendar_values(item), problems, 409)
    s.flash(request, f"Calendar “{item.name}” deleted.", "ok")
    return RedirectResponse(CALENDARS, status_code=303)


async def _conflict(request: Request, ctx: AppContext, calendar_id: int) -> Response:
    """Another admin changed the calendar after this form was made: show their version."""
    current = await _calendar(ctx, calendar_id)
    if current is None:
        return common.not_found(request, "calendar")
    problems = {common.FORM_ERROR: common.conflict_message("calendar")}
    return await _calendar_page(request, ctx, current, _calendar_values(current), problems, 409)


def _status(exc: errors.DomainError) -> int:
    return errors.http_status(exc.code) if exc.code != errors.NOT_FOUND else 422


# -- policies ----------------------------------------------------------------------------------


class PolicyForm(SlaPolicyWrite):
    """The policy form: ids picked from lists, and an empty warning threshold keeps the usual one."""

    @model_validator(mode="before")
    @classmethod
    def _from_form(cls, data: Any) -> Any:
        data = common.with_ids(data, ("type_id", "group_id", "calendar_id"))
        if isinstance(data, dict) and data.get("warning_percent") is None:
            return {k: v for k, v in data.items() if k != "warning_percent"}
        return data


class PolicyRow(SlaPolicyRead):
    """A policy as the list shows it: which cases it applies to, in words, and its calendar's name."""

    applies_to: str = ""
    targets: str = ""
    calendar: str = ""


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours and rest else f"{hours} h" if hours else f"{rest} min"


async def _type_options(ctx: AppContext) -> Options:
    return [(str(t.id), t.name) for t in await ctx.cases.list_case_types()]


async def _group_options(ctx: AppContext) -> Options:
    return [(str(g.id), g.name) for g in await ctx.cases.list_groups()]


async def _calendar_options(ctx: AppContext) -> Options:
    return [(str(cal.id), cal.name) for cal in await ctx.cases.list_business_calendars()]


async def _policies(ctx: AppContext) -> list[PolicyRow]:
    types = {t.id: t.name for t in await ctx.cases.list_case_types()}
    groups = {g.id: g.name for g in await ctx.cases.list_groups()}
    calendars = {cal.id: cal.name for cal in await ctx.cases.list_business_calendars()}
    rows = []
    for p in await ctx.cases.list_sla_policies():
        parts = [
            f"{p.priority.value} priority" if p.priority else "",
            f"type {types.get(p.type_id, p.type_id)}" if p.type_id else "",
            f"group {groups.get(p.group_id, p.group_id)}" if p.group_id else "",
        ]
        calendar = calendars.get(p.calendar_id, str(p.calendar_id)) if p.calendar_id else "Around the clock"
        applies = ", ".join(x for x in parts if x) or "All cases"
        targets = [
            f"first response {_duration(p.first_response_minutes)}" if p.first_response_minutes else "",
            f"resolution {_duration(p.resolution_minutes)}" if p.resolution_minutes else "",
        ]
        target = ", ".join(t for t in targets if t).capitalize()
        rows.append(PolicyRow(**p.model_dump(), applies_to=applies, targets=target, calendar=calendar))
    return rows


async def _save_policy(ctx: AppContext, data: BaseModel, item_id: int | None) -> SlaPolicyRead:
    assert isinstance(data, PolicyForm)
    return await ctx.cases.save_sla_policy(data=SlaPolicyWrite.model_validate(data.model_dump()), policy_id=item_id)


async def _delete_policy(ctx: AppContext, item_id: int) -> None:
    await ctx.cases.delete_sla_policy(policy_id=item_id)


POLICIES = Area(
    path="sla-policies",
    title="SLA policies",
    singular="policy",
    object_type="sla_policy",
    description="Response and resolution targets for the cases a policy matches, counted in a calendar's hours.",
    group=CASES,
    fields=(
        Field("name", "Name", required=True),
        Field(
            "first_response_minutes",
            "First response within (minutes)",
            kind="number",
            help="Business minutes: 60 is an hour, 480 a working day of 8 hours.",
        ),
        Field("resolution_minutes", "Resolved within (minutes)", kind="number", help="At least one target is needed."),
        Field(
            "calendar_id",
            "Business calendar",
            kind="select",
            options=_calendar_options,
            help="Only the calendar's opening hours count. None: around the clock.",
        ),
        Field(
            "priority",
            "Applies to priority",
            kind="select",
            options=PRIORITY_LABELS,
            help="Leave a criterion empty to match any case. The most specific policy wins: group, type, priority.",
        ),
        Field("type_id", "Applies to type", kind="select", options=_type_options),
        Field("group_id", "Applies to group", kind="select", options=_group_options),
        Field(
            "warning_percent",
            "Warn at (% of the target used)",
            kind="number",
            help="Agents see a warning and are notified when this share has passed.",
        ),
        Field("active", "Active", kind="checkbox"),
    ),
    columns=(
        ("name", "Name"),
        ("applies_to", "Applies to"),
        ("targets", "Targets"),
        ("calendar", "Calendar"),
        ("active", "Active"),
    ),
    labels={"priority": dict(PRIORITY_LABELS)},
    write_model=PolicyForm,
    list_items=_policies,
    save=_save_policy,
    delete=_delete_policy,
    defaults={"active": True, "warning_percent": 80},
)


def install(router: APIRouter) -> None:
    common.add_section(
        CASES,
        common.Section(
            CALENDARS, "Business calendars", "Opening hours, public holidays by country and extra closed days."
        ),
    )
    router.add_api_route(CALENDARS, calendars_page, methods=["GET"])
    router.add_api_route(CALENDARS, create_calendar, methods=["POST"])
    router.add_api_route(CALENDARS + "/{calendar_id}", calendar_page, methods=["GET"])
    router.add_api_route(CALENDARS + "/{calendar_id}", update_calendar, methods=["POST"])
    router.add_api_route(CALENDARS + "/{calendar_id}/delete", delete_calendar, methods=["POST"])
    mount(router, POLICIES)
