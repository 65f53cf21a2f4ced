"""Change detection and optimistic concurrency (B10/B11) without I/O."""

import pytest

from cases.case.rules_changes import check_version, diff, history_value
from contracts.cases import Status
from contracts.errors import VersionConflict

CURRENT = {"title": "Printer", "status": "new", "priority": "medium", "assignee_id": None, "group_id": 1}


def test_diff_keeps_only_real_changes() -> None:
    requested = {"title": "Printer", "priority": "high", "assignee_id": 7}
    assert diff(CURRENT, requested) == {
        "priority": {"old": "medium", "new": "high"},
        "assignee_id": {"old": None, "new": 7},
    }


def test_diff_sees_a_field_being_cleared() -> None:
    assert diff(CURRENT, {"group_id": None}) == {"group_id": {"old": 1, "new": None}}


def test_diff_ignores_fields_that_are_not_editable() -> None:
    assert diff(CURRENT, {"version": 9, "number": 3}) == {}


def test_stale_version_raises_with_the_current_state() -> None:
    with pytest.raises(VersionConflict) as info:
        check_version(expected=2, actual=3, current=lambda: {"version": 3})
    assert info.value.details == {"current": {"version": 3}}
    assert info.value.code == "version_conflict"


def test_matching_or_missing_version_passes_without_building_the_state() -> None:
    def boom() -> None:
        raise AssertionError("must not be called")

    check_version(expected=3, actual=3, current=boom)
    check_version(expected=None, actual=3, current=boom)


def test_history_values_are_text() -> None:
    assert history_value(Status.OPEN) == "open"
    assert history_value(7) == "7"
    assert history_value(None) is None
