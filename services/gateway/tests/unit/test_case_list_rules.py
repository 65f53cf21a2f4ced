"""The pure rules of the case list's export, bulk changes and URL (decisions 0236-0238)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from contracts import cases as c
from contracts import errors
from gateway.domain import case_bulk, case_export
from gateway.ui import list_query

CASE = {
    "number": 42,
    "title": "=1+1",
    "status": "waiting",
    "status_name": None,
    "priority": "high",
    "requester": {"id": 1, "name": "Kari", "email": "kari@example.no"},
    "assignee": {"id": 2, "name": "", "email": "bo@example.com"},
    "group": {"id": 3, "name": "Support"},
    "organisation": None,
    "type": {"id": 4, "name": "Incident"},
    "category": None,
    "tags": ["vip", "printer"],
    "created_at": "2026-12-07T10:11:12.345678Z",
    "updated_at": "2026-12-07T11:00:00+00:00",
    "due_at": None,
    "sla_state": "ok",
}


def test_a_case_becomes_a_row_in_column_order() -> None:
    row = case_export.case_row(CASE)
    assert len(row) == len(case_export.HEADINGS) == 15
    assert row[:8] == [42, "=1+1", "waiting", "high", "Kari <kari@example.no>", "", "bo@example.com", "Support"]
    assert row[8:11] == ["Incident", "", "vip, printer"]
    assert row[14] == "ok"


def test_csv_cells_defuse_formulas_and_write_utc_times() -> None:
    cells = case_export.csv_cells(case_export.case_row(CASE))
    assert cells[1] == "'=1+1"
    assert cells[11:14] == ["2026-12-07T10:11:12Z", "2026-12-07T11:00:00Z", ""]
    for start in ("+", "-", "@", "\t", "\r"):
        assert case_export.safe_text(f"{start}x") == f"'{start}x"
    assert case_export.safe_text("Printer 3") == "Printer 3"


def test_times_become_naive_utc_for_spreadsheets() -> None:
    assert case_export.parse_time("2026-12-07T12:00:00+01:00") == datetime(2026, 12, 7, 11, 0)


def test_a_bulk_request_counts_each_case_once_and_stops_at_500() -> None:
    request = case_bulk.BulkRequest(case_ids=[3, 1, 3, 2], changes=case_bulk.BulkChanges(priority=c.Priority.LOW))
    assert case_bulk.case_ids(request) == [3, 1, 2]
    too_many = case_bulk.BulkRequest(case_ids=list(range(1, 502)), changes=case_bulk.BulkChanges(close=True))
    with pytest.raises(errors.DomainError) as caught:
        case_bulk.case_ids(too_many)
    assert caught.value.code == errors.TOO_MANY_CASES
    assert caught.value.details == {"max": 500, "given": 501}


def test_a_case_update_adds_and_removes_tags_on_the_tags_read() -> None:
    changes = case_bulk.BulkChanges(add_tags=["new", "VIP"], remove_tags=["Old"], assignee_id=None)
    update = case_bulk.case_update(changes, ["vip", "old", "keep"])
    assert update.tags == ["vip", "keep", "new"]
    assert "assignee_id" in update.model_fields_set and update.assignee_id is None  # null unassigns
    assert case_bulk.case_update(case_bulk.BulkChanges(close=True), []).status is c.Status.CLOSED


@pytest.mark.parametrize(
    "changes",
    [{}, {"merge_into": 1, "priority": "low"}, {"close": True, "status": "open"}, {"priority": "extreme"}],
)
def test_changes_that_do_not_go_together_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        case_bulk.BulkChanges.model_validate(changes)


def test_the_list_url_round_trips_through_the_api_names() -> None:
    params = QueryParams(
        "status=open&priority=high&priority=urgent&group=3&group=x&assignee=none&tag=vip,printer&sla=at_risk"
        "&created_from=2026-12-01&created_to=2026-12-07&requester=9&sort=-number&q=+skriv+&organisation=99999999999"
        "&source=email&source=walk_in&source=Fax%21&category=Hardware&custom_field=contract:gold&custom_field=nokey"
    )
    query = list_query.parse(params)
    assert query.statuses == [c.Status.OPEN]
    assert query.priorities == [c.Priority.HIGH, c.Priority.URGENT]
    assert query.group_ids == [3]  # "x" is no id: dropped
    assert query.unassigned and query.assignee_id is None
    assert query.tags == ["vip", "printer"]
    assert query.organisation_id is None  # past every id a database holds
    assert query.created_from == date(2026, 12, 1)
    assert query.q == "skriv"
    assert query.sources == ["email", "walk_in"]  # keys of the admin's list; "Fax!" is no key at all
    assert (query.category, query.custom_fields) == ("Hardware", {"contract": "gold"})
    found = query.case_filter(limit=100)
    assert found.created_to == datetime(2026, 12, 8, tzinfo=UTC)  # the "to" day is included
    assert found.sla_states == ["warning", "breached"]
    assert found.unassigned is True and found.requester_id == 9
    assert list_query.parse(QueryParams(query.query_string())) == query


def test_sorting_by_a_heading_goes_descending_first() -> None:
    query = list_query.parse(QueryParams("priority=high"))
    assert query.sort_state("number") == "none"
    assert query.sort_link("number") == "/?priority=high&sort=-number"
    query = list_query.parse(QueryParams("priority=high&sort=-number"))
    assert query.sort_state("number") == "descending"
    assert query.sort_link("number") == "/?priority=high&sort=number"
    assert list_query.parse(QueryParams("sort=number")).sort_state("number") == "ascending"
    assert not list_query.parse(QueryParams("q=word")).narrowed()
    assert list_query.parse(QueryParams("q=word&tag=vip")).narrowed()
