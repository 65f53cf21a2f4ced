"""The case page's side panel read into the API's CaseUpdate (decision 0231): pure logic, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.datastructures import FormData

from contracts import case_config as cc
from contracts import cases as c
from contracts import errors
from gateway.ui.case_panel import changes_from_form, solved_like, suggested_solutions

NOW = datetime(2030, 1, 1, tzinfo=UTC)
STATUSES = [
    cc.CaseStatusRead(id=1, name="New", category=c.Status.NEW, builtin=True),
    cc.CaseStatusRead(id=4, name="Dormant", category=c.Status.DORMANT, builtin=True),
    cc.CaseStatusRead(id=9, name="Parked", category=c.Status.DORMANT),
]


def _case(**extra: Any) -> c.CaseRead:
    base: dict[str, Any] = {
        "id": 7,
        "number": 7,
        "title": "Printer",
        "status": "new",
        "priority": "medium",
        "source": "agent",
        "version": 3,
        "created_at": NOW,
        "updated_at": NOW,
        "status_id": 1,
        "tags": ["printer"],
        "custom_fields": {"seats": "4"},
        **extra,
    }
    return c.CaseRead.model_validate(base)


def _form(*pairs: tuple[str, str]) -> FormData:
    return FormData([("csrf_token", "t"), ("version", "3"), *pairs])


def test_one_control_sends_only_its_field() -> None:
    form = _form(("title", "Printer"), ("priority", "high"), ("category", "stale value"))
    assert changes_from_form(form, _case(), STATUSES, "priority") == {"priority": "high"}


def test_the_whole_form_sends_what_differs() -> None:
    form = _form(("title", "Printer"), ("priority", "medium"), ("category", "Hardware"), ("custom_fields.seats", "5"))
    assert changes_from_form(form, _case(), STATUSES, None) == {"category": "Hardware", "custom_fields": {"seats": "5"}}


def test_empty_clears_tags_are_a_set_and_dates_are_utc() -> None:
    case = _case(category="Old", due_at=NOW)
    assert changes_from_form(_form(("category", "")), case, STATUSES, "category") == {"category": None}
    assert changes_from_form(_form(), case, STATUSES, "tags") == {"tags": []}
    tags = _form(("tags", "vip"), ("tags", "printer"), ("tags", "vip"))
    assert changes_from_form(tags, case, STATUSES, "tags") == {"tags": ["printer", "vip"]}
    due = changes_from_form(_form(("due_at", "2031-05-04T09:30")), case, STATUSES, "due_at")
    assert due == {"due_at": datetime(2031, 5, 4, 9, 30, tzinfo=UTC)}


def test_unchanged_or_unknown_fields_send_nothing() -> None:
    assert changes_from_form(_form(("priority", "medium")), _case(), STATUSES, "priority") == {}
    assert changes_from_form(_form(("version", "9")), _case(), STATUSES, "version") == {}
    assert changes_from_form(_form(("tags", "printer")), _case(), STATUSES, "tags") == {}


def test_dormant_takes_the_chosen_dormant_status_and_a_period_or_a_date() -> None:
    days = _form(("dormant.status_id", "9"), ("dormant.days", "3"))
    assert changes_from_form(days, _case(), STATUSES, "dormant") == {
        "status_id": 9,
        "dormant": {"mode": "for_period", "days": 3},
    }
    until = _form(("dormant.status_id", "1"), ("dormant.until", "2031-01-02"))  # not a dormant status: the first one
    assert changes_from_form(until, _case(), STATUSES, "dormant") == {
        "status_id": 4,
        "dormant": {"mode": "until_date", "until": "2031-01-02T00:00:00Z"},
    }


@pytest.mark.parametrize(("name", "value"), [("assignee_id", "x"), ("due_at", "next tuesday"), ("follower_ids", "-1")])
def test_bad_values_are_refused_with_the_field_named(name: str, value: str) -> None:
    with pytest.raises(errors.ValidationFailed) as refused:
        changes_from_form(_form((name, value)), _case(), STATUSES, name)
    assert name in str(refused.value.details)


def test_source_and_inform_contact_are_read_as_the_api_names_them() -> None:
    case = _case(source="email", inform_contact="link")
    form = FormData([("source", "walk_in"), ("inform_contact", "")])
    assert changes_from_form(form, case, STATUSES, None) == {"source": "walk_in", "inform_contact": None}
    assert changes_from_form(FormData([("inform_contact", "never")]), case, STATUSES, "inform_contact") == {
        "inform_contact": "never"
    }
    assert changes_from_form(FormData([("source", "")]), case, STATUSES, "source") == {}  # a source is never cleared


def test_suggested_solutions_come_from_resolved_cases_like_this_one_each_text_once() -> None:
    case = _case(category="Printers")
    like = solved_like(case)
    assert (like.category, like.type_id, like.q) == ("Printers", None, None)
    assert like.statuses == [c.Status.RESOLVED, c.Status.CLOSED]
    assert solved_like(_case()).q == "Printer"  # neither category nor type: cases with its words
    solved = [
        _case(id=7, solution="Its own solution"),
        _case(id=8, number=8, solution="Restart the spooler."),
        _case(id=9, number=9, solution="  restart the SPOOLER.  "),
        _case(id=10, number=10, solution=None),
        *(_case(id=20 + i, number=20 + i, solution=f"Fix {i}") for i in range(6)),
    ]
    picked = suggested_solutions(case, solved)
    assert [(other.id, text) for other, text in picked][:2] == [(8, "Restart the spooler."), (20, "Fix 0")]
    assert len(picked) == 5


def test_the_requester_control_sends_another_contact_and_an_empty_one_nothing() -> None:
    case = _case(requester={"id": 5, "email": "nina@example.org", "name": "Nina"})
    assert changes_from_form(_form(("requester_id", "12")), case, STATUSES, "requester_id") == {"requester_id": 12}
    assert changes_from_form(_form(("requester_id", "5")), case, STATUSES, "requester_id") == {}
    with pytest.raises(errors.ValidationFailed):
        changes_from_form(_form(("requester_id", "x")), case, STATUSES, "requester_id")
