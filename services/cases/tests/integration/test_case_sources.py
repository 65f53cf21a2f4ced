"""The admin's list of sources (A7) and a case's choice of how its contact is informed (B16), against the real
worker, PostgreSQL and RabbitMQ."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from contracts.errors import DomainError


def _error(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def test_the_list_is_seeded_and_admins_add_rename_and_hide_sources(cases: Any, admin: dict[str, Any]) -> None:
    listed = {s["key"]: s for s in cases.call("list_case_sources")}
    assert {"email", "phone", "portal", "web", "walk_in", "chat", "api", "sms", "agent", "scheduled"} <= set(listed)
    assert listed["email"]["builtin"] and not listed["walk_in"]["builtin"]
    # only mail was confirmed before the setting existed: email keeps it, the others start without (E1)
    assert [k for k, s in listed.items() if s["confirm"]] == ["email"]

    key = f"fair_{uuid.uuid4().hex[:6]}"
    added = cases.call("save_case_source", key=key, data={"name": "Trade fair"})
    assert (added["key"], added["name"], added["active"], added["builtin"]) == (key, "Trade fair", True, False)
    case = cases.call("create_case", data={"title": "Met at the fair", "source": key}, actor=admin)
    assert case["source"] == key

    # hidden: no longer offered or accepted, but the case keeps it and still reads
    cases.call("save_case_source", key=key, data={"name": "Trade fair 2027", "active": False})
    refused = _error(lambda: cases.call("create_case", data={"title": "Later", "source": key}, actor=admin))
    assert refused.code == "validation_error" and refused.details == {"source": key}
    assert cases.call("get_case", case_id=case["id"])["source"] == key
    # the system's own sources need no entry: mail, SMS and scheduled cases never fail on the admin's list
    cases.call("save_case_source", key="sms", data={"name": "SMS", "active": False})
    try:
        assert cases.call("create_case", data={"title": "Texted", "source": "sms"}, actor=admin)["source"] == "sms"
    finally:
        cases.call("save_case_source", key="sms", data={"name": "SMS", "active": True})


def test_an_unknown_source_changes_nothing(cases: Any, admin: dict[str, Any]) -> None:
    case = cases.call("create_case", data={"title": "Walk-in", "source": "walk_in"}, actor=admin)
    found = cases.call("list_cases", filters={"sources": ["walk_in", "nothing_yet"], "limit": 100})["items"]
    assert case["id"] in [c["id"] for c in found] and {c["source"] for c in found} == {"walk_in"}
    error = _error(lambda: cases.call("create_case", data={"title": "Faxed", "source": "fax"}, actor=admin))
    assert error.code == "validation_error"
    error = _error(
        lambda: cases.call(
            "update_case", case_id=case["id"], changes={"source": "fax"}, expected_version=None, actor=admin
        )
    )
    assert error.code == "validation_error"
    after = cases.call("get_case", case_id=case["id"])
    assert (after["source"], after["version"]) == ("walk_in", case["version"])
    changed = cases.call(
        "update_case", case_id=case["id"], changes={"source": "phone"}, expected_version=None, actor=admin
    )
    assert changed["source"] == "phone"
    history = [(h["field"], h["old_value"], h["new_value"]) for h in cases.call("get_case_history", case_id=case["id"])]
    assert ("source", "walk_in", "phone") in history


def test_inform_contact_is_set_changed_and_cleared(cases: Any, admin: dict[str, Any]) -> None:
    case = cases.call("create_case", data={"title": "Quiet one", "inform_contact": "link"}, actor=admin)
    assert case["inform_contact"] == "link"
    changed = cases.call(
        "update_case", case_id=case["id"], changes={"inform_contact": "never"}, expected_version=None, actor=admin
    )
    assert changed["inform_contact"] == "never"
    # an explicit null returns the case to the organisation's setting
    cleared = cases.call(
        "update_case", case_id=case["id"], changes={"inform_contact": None}, expected_version=None, actor=admin
    )
    assert cleared["inform_contact"] is None
    listed = cases.call("list_cases", filters={"q": "Quiet one"})["items"]
    assert [c["inform_contact"] for c in listed if c["id"] == case["id"]] == [None]
    bad = _error(
        lambda: cases.call(
            "update_case",
            case_id=case["id"],
            changes={"inform_contact": "sometimes"},
            expected_version=None,
            actor=admin,
        )
    )
    assert bad.code == "validation_error"


def test_case_created_says_whether_the_requester_is_confirmed(cases: Any, admin: dict[str, Any]) -> None:
    cases.call("save_case_source", key="phone", data={"name": "Phone", "confirm": True})
    try:
        by_phone = cases.call("create_case", data={"title": "Called in", "source": "phone"}, actor=admin)
        by_chat = cases.call("create_case", data={"title": "Chatted", "source": "chat"}, actor=admin)
        chosen = cases.call(
            "create_case", data={"title": "Asked not to", "source": "phone", "confirm": False}, actor=admin
        )
    finally:
        cases.call("save_case_source", key="phone", data={"name": "Phone"})
    seen = {}
    for case in (by_phone, by_chat, chosen):
        [event] = cases.events.wait_for("case_created", case__id=case["id"])
        seen[case["id"]] = event["payload"]["confirm"]
    assert seen == {by_phone["id"]: True, by_chat["id"]: False, chosen["id"]: False}
