"""How the admin console's audit log shows a change: the fields that differ, as old → new."""

from __future__ import annotations

from gateway.ui.admin.audit import LONGEST, changes, shown


def test_an_update_shows_only_the_fields_that_changed() -> None:
    before = {"id": 3, "name": "Audun", "is_admin": False, "group_ids": [1]}
    after = {"id": 3, "name": "Audun Berg", "is_admin": True, "group_ids": [1]}
    assert changes(before, after) == [("name", "Audun", "Audun Berg"), ("is_admin", "no", "yes")]


def test_a_create_lists_what_was_set_and_a_delete_what_was_there() -> None:
    assert changes(None, {"id": 7, "name": "Billing", "member_ids": [2, 5], "restricted": False}) == [
        ("id", "—", "7"),
        ("name", "—", "Billing"),
        ("member_ids", "—", "2, 5"),
        ("restricted", "—", "no"),
    ]
    assert changes({"name": "Billing", "note": None}, None) == [("name", "Billing", "—")]


def test_fields_that_appear_or_vanish_and_plain_values() -> None:
    assert changes({"a": 1, "gone": "x"}, {"a": 1, "new": {"k": "v"}}) == [
        ("new", "—", '{"k": "v"}'),
        ("gone", "x", "—"),
    ]
    assert changes(None, None) == []
    assert changes({"name": ""}, {"name": None}) == []  # both read as nothing
    assert changes("old", "new") == [("value", "old", "new")]


def test_long_values_are_cut_with_an_ellipsis() -> None:
    text = shown("x" * (LONGEST + 50))
    assert len(text) == LONGEST and text.endswith("…")
    assert shown([]) == "—" and shown("") == "—" and shown(0) == "0"
