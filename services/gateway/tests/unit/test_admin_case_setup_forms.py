"""The admin console's case set-up forms turned into write models: a calendar's week and dates, a built-in
field's one choice, ids picked from lists."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from starlette.datastructures import FormData

from contracts.sla import BusinessCalendarRead
from gateway.ui.admin import case_fields, common, sla


def _form(**fields: str | list[str]) -> FormData:
    items: list[tuple[str, Any]] = []
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            items.append((name.replace("_", "-") if name.startswith("hours") else name, v))
    return FormData(items)


def test_a_week_with_two_windows_a_closed_day_and_days_off() -> None:
    form = _form(
        name="Oslo",
        timezone="Europe/Oslo",
        country="no",
        hours_mon_from=["08:00", "13:00", ""],
        hours_mon_to=["12:00", "17:00", ""],
        hours_sat_from="",
        hours_sat_to="",
        closed_dates="2026-12-24, 2026-12-31\n2027-01-02",
    )
    data = sla._calendar_write(sla._posted_values(form))
    assert data.hours == {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]}
    assert data.country == "NO" and data.subdivision is None
    assert data.closed_dates == [date(2026, 12, 24), date(2026, 12, 31), date(2027, 1, 2)]


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"hours_tue_from": "8", "hours_tue_to": "12:00"}, "hours-tue"),
        ({"hours_wed_from": "08:00", "hours_wed_to": ""}, "hours-wed"),
        ({"closed_dates": "24.12.2026"}, "closed_dates"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_entry_is_reported_next_to_its_field(fields: dict[str, str], where: str) -> None:
    values = sla._posted_values(_form(**{"name": "Desk", "timezone": "UTC", **fields}))
    with pytest.raises(sla.CalendarFormError) as caught:
        sla._calendar_write(values)
    assert where in caught.value.problems


def test_the_week_in_a_few_words() -> None:
    office = [["08:00", "16:00"]]
    cal = BusinessCalendarRead.model_validate(
        {
            "id": 1,
            "name": "x",
            "created_at": "2026-01-01T00:00:00Z",
            "hours": {"mon": office, "tue": office, "wed": office, "fri": office, "sat": [["10:00", "14:00"]]},
        }
    )
    assert sla._hours_summary(cal) == "Mon-Wed 08:00-16:00; Fri 08:00-16:00; Sat 10:00-14:00"
    assert sla._hours_summary(cal.model_copy(update={"hours": {}})) == "Always closed"


def test_one_choice_per_built_in_field_never_both_hidden_and_required() -> None:
    for state, _ in case_fields.STATES:
        cfg = case_fields._config("tags", state)
        assert not (cfg.hidden and cfg.required)
        assert case_fields._state(cfg) == state


def test_picked_ids_become_numbers_and_anything_else_stays_for_the_model() -> None:
    got = common.with_ids({"group_id": "12", "type_id": "", "calendar_id": "x", "name": "7"}, ("group_id", "type_id"))
    assert got == {"group_id": 12, "type_id": "", "calendar_id": "x", "name": "7"}


def test_a_select_field_takes_its_choices_one_per_line() -> None:
    form = case_fields.CustomFieldForm.model_validate(
        {"label": "Level", "key": "level", "type": "select", "options": " Gold\n\nSilver \n"}
    )
    assert form.options == ["Gold", "Silver"]
