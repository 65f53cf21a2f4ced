"""The case model against the real worker, PostgreSQL and RabbitMQ: fields, statuses, rules."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contracts.errors import DomainError
from contracts.mail_gateway import MailAddress, MailReceived

_inbound_ids = itertools.count(int(time.time() * 10))


def _new_case(cases: Any, admin: dict[str, Any], **data: Any) -> dict[str, Any]:
    data.setdefault("title", f"Router {uuid.uuid4().hex[:6]}")
    return cases.call("create_case", data=data, actor=admin)


def _update(cases: Any, admin: dict[str, Any], case: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return cases.call("update_case", case_id=case["id"], changes=changes, expected_version=case["version"], actor=admin)


def _error(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def _history(cases: Any, case_id: int) -> list[tuple[str, str | None, str | None]]:
    return [(h["field"], h["old_value"], h["new_value"]) for h in cases.call("get_case_history", case_id=case_id)]


def test_fields_tags_followers_and_custom_fields(cases: Any, admin: dict[str, Any]) -> None:
    org = cases.call("save_organisation", data={"name": f"Acme {uuid.uuid4().hex[:4]}"})
    follower = cases.call(
        "save_contact", data={"name": "Per", "emails": [f"per{uuid.uuid4().hex[:4]}@acme.example"]}, actor=admin
    )
    cases.call("save_custom_field", data={"key": "seats", "label": "Seats", "type": "number"})
    cases.call(
        "save_custom_field", data={"key": "tier", "label": "Tier", "type": "select", "options": ["gold", "silver"]}
    )
    fault = next(t for t in cases.call("list_case_types") if t["name"] == "Fault")
    case = _new_case(cases, admin, type_id=fault["id"], tags=["VIP"], custom_fields={"seats": "3"})
    assert case["type"] == {"id": fault["id"], "name": "Fault", "instructions": ""}
    assert case["tags"] == ["vip"] and case["custom_fields"] == {"seats": "3"}
    assert case["status"] == "new" and case["status_name"] == "New" and case["status_id"] is not None

    due = "2026-12-24T12:00:00+00:00"
    updated = _update(
        cases,
        admin,
        case,
        category="Network",
        due_at=due,
        external_ref="PO-77",
        organisation_id=org["id"],
        follower_ids=[follower["id"]],
        tags=["vip", "Printer"],
        custom_fields={"tier": "gold"},
    )
    assert updated["version"] == case["version"] + 1
    assert updated["organisation"] == {"id": org["id"], "name": org["name"]}
    assert [f["id"] for f in updated["followers"]] == [follower["id"]]
    assert updated["tags"] == ["printer", "vip"]
    assert updated["custom_fields"] == {"seats": "3", "tier": "gold"}
    assert updated["due_at"].startswith("2026-12-24T12:00:00") and updated["external_ref"] == "PO-77"

    event = cases.events.wait_for("case_updated", case__id=case["id"])[0]
    assert set(event["payload"]["changes"]) == {
        "category",
        "due_at",
        "external_ref",
        "organisation_id",
        "followers",
        "tags",
        "custom_fields.tier",
    }
    history = _history(cases, case["id"])
    assert ("tags", "vip", "printer, vip") in history
    assert ("custom_fields.tier", None, "gold") in history
    assert ("external_ref", None, "PO-77") in history
    assert all(
        h["actor_id"] == admin["id"] and h["channel"] == "web"
        for h in cases.call("get_case_history", case_id=case["id"])
    )

    # the same values again change nothing: no version, no history
    again = _update(cases, admin, updated, tags=["VIP", "printer"], external_ref="PO-77")
    assert again["version"] == updated["version"]


def test_bad_input_changes_nothing(cases: Any, admin: dict[str, Any]) -> None:
    case = _new_case(cases, admin)
    before = _history(cases, case["id"])
    attempts = {
        "unknown_status": {"status_id": 98765},
        "invalid_custom_field": {"custom_fields": {"nope": "x"}},
        "invalid_transition": {"status": "open"},  # no owner yet
        "validation_error": {"status": "sleeping"},
    }
    for code, changes in attempts.items():
        err = _error(lambda changes=changes: _update(cases, admin, case, title="changed", **changes))
        assert err.code == code, (code, err)
    assert _error(lambda: _update(cases, admin, case, organisation_id=424242)).code == "validation_error"
    assert cases.call("get_case", case_id=case["id"]) == {**case, "form": None}  # not one field changed
    assert _history(cases, case["id"]) == before

    cases.call("save_field_config", data={"field": "category", "required": True})
    try:
        err = _error(lambda: _new_case(cases, admin))
        assert err.code == "required_field_missing" and err.details == {"missing": ["category"]}
        assert _new_case(cases, admin, category="Billing")["category"] == "Billing"
    finally:
        cases.call("save_field_config", data={"field": "category", "required": False})


def test_admin_statuses_and_forbidden_moves(cases: Any, admin: dict[str, Any]) -> None:
    progress = cases.call("save_case_status", data={"name": f"In progress {uuid.uuid4().hex[:4]}", "category": "open"})
    case = _update(cases, admin, _new_case(cases, admin), assignee_id=admin["id"])
    moved = _update(cases, admin, case, status_id=progress["id"])
    assert (
        moved["status"] == "open" and moved["status_id"] == progress["id"] and moved["status_name"] == progress["name"]
    )
    assert ("status_name", "New", progress["name"]) in _history(cases, case["id"])

    renamed = cases.call(
        "save_case_status", status_id=progress["id"], data={"name": progress["name"] + "!", "category": "open"}
    )
    assert cases.call("get_case", case_id=case["id"])["status_name"] == renamed["name"]
    new_status = next(s for s in cases.call("list_case_statuses") if s["category"] == "new")
    err = _error(
        lambda: cases.call("save_case_status", status_id=new_status["id"], data={"name": "X", "category": "open"})
    )
    assert err.code == "validation_error"

    closed = _update(cases, admin, moved, status="closed")
    err = _error(lambda: _update(cases, admin, closed, status="waiting"))
    assert err.code == "invalid_transition"
    assert cases.call("get_case", case_id=case["id"])["status"] == "closed"


def test_dormant_case_wakes_by_timer_with_a_reason(cases: Any, admin: dict[str, Any]) -> None:
    case = _update(cases, admin, _new_case(cases, admin), assignee_id=admin["id"])
    until = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    asleep = _update(cases, admin, case, status="dormant", dormant={"mode": "until_date", "until": until})
    assert asleep["status"] == "dormant" and asleep["status_name"] == "Dormant" and asleep["dormant_until"]

    woken = cases.wait_until(
        lambda: (c := cases.call("get_case", case_id=case["id"]))["status"] == "open" and c, timeout=15, what="wake"
    )
    assert woken["dormant_until"] is None and woken["status_name"] == "Open"
    history = cases.call("get_case_history", case_id=case["id"])
    reason = [h for h in history if h["field"] == "status_reason"]
    assert reason and "dormant period ended" in reason[0]["new_value"] and reason[0]["actor_type"] == "system"
    assert ("status", "dormant", "open") in [(h["field"], h["old_value"], h["new_value"]) for h in history]
    cases.events.wait_for("case_updated", case__id=case["id"], case__status="open")

    sleeper = _update(cases, admin, _new_case(cases, admin), assignee_id=admin["id"])
    forever = _update(cases, admin, sleeper, status="dormant", dormant={"mode": "until_further_notice"})
    assert forever["dormant_until"] is None
    err = _error(lambda: _update(cases, admin, forever, status="dormant", dormant={"mode": "for_period"}))
    assert err.code == "validation_error"


def test_field_level_merging_when_the_setting_allows_it(cases: Any, admin: dict[str, Any]) -> None:
    case = _new_case(cases, admin)
    first = _update(cases, admin, case, priority="high")
    err = _error(lambda: _update(cases, admin, case, title="Stale title"))  # strict by default
    assert err.code == "version_conflict"
    cases.call("update_case_settings", changes={"concurrency": "field"})
    try:
        merged = _update(cases, admin, case, title="Stale title")  # read at v1, priority changed since: merged
        assert merged["title"] == "Stale title" and merged["priority"] == "high"
        err = _error(lambda: _update(cases, admin, case, priority="low"))
        assert err.code == "version_conflict" and err.details["fields"] == ["priority"]
        assert cases.call("get_case", case_id=case["id"])["priority"] == first["priority"]
    finally:
        cases.call("update_case_settings", changes={"concurrency": "strict"})


def test_mentions_in_notes(cases: Any, admin: dict[str, Any]) -> None:
    colleague = cases.call("save_agent", data={"email": f"ola{uuid.uuid4().hex[:4]}@example.com", "name": "Ola Dunk"})
    case = _new_case(cases, admin)
    note = cases.call(
        "add_message", case_id=case["id"], data={"body": "@OlaDunk please look", "visibility": "internal"}, actor=admin
    )
    event = cases.events.wait_for("agent_mentioned", case__id=case["id"])[0]
    assert event["payload"]["agent"]["id"] == colleague["id"] and event["payload"]["message_id"] == note["id"]
    rows = cases.rows("SELECT agent_id FROM mention WHERE message_id = :m", m=note["id"])
    assert [r.agent_id for r in rows] == [colleague["id"]]


def test_reply_to_a_closed_case_reopens_or_follows_up(cases: Any, admin: dict[str, Any]) -> None:
    email = f"kari{uuid.uuid4().hex[:4]}@example.org"
    case = _new_case(cases, admin, requester_email=email, assignee_id=admin["id"])
    closed = _update(cases, admin, _update(cases, admin, case, status="open"), status="closed")
    contact_id = closed["requester"]["id"]

    cases.call("add_contact_message", case_id=case["id"], contact_id=contact_id, body="It broke again")
    reopened = cases.call("get_case", case_id=case["id"])
    assert reopened["status"] == "open" and reopened["status_name"] == "Open"

    _update(cases, admin, reopened, status="closed")
    cases.call("update_case_settings", changes={"closed_reply": "follow_up"})
    try:
        message = cases.call("add_contact_message", case_id=case["id"], contact_id=contact_id, body="And again")
    finally:
        cases.call("update_case_settings", changes={"closed_reply": "reopen"})
    assert message["case_id"] != case["id"]
    assert cases.call("get_case", case_id=case["id"])["status"] == "closed"
    follow = cases.call("get_case", case_id=message["case_id"])
    assert follow["requester"]["id"] == contact_id and follow["status"] == "new"
    assert ("follow_up_of", None, str(case["number"])) in _history(cases, follow["id"])
    assert ("follow_up", None, str(follow["number"])) in _history(cases, case["id"])


def test_unknown_senders_are_held_for_approval(cases: Any, admin: dict[str, Any]) -> None:
    cases.call("update_case_settings", changes={"hold_unknown_senders": True})
    sender = f"stranger{uuid.uuid4().hex[:4]}@example.net"
    mail = MailReceived(
        inbound_mail_id=next(_inbound_ids),
        mailbox="support@helpdesk.example.com",
        message_id=f"<{uuid.uuid4().hex}@example.net>",
        from_address=MailAddress(email=sender, name="Stranger"),
        subject=f"Hello {uuid.uuid4().hex[:6]}",
        text_body="Who are you?",
    )
    try:
        cases.publish("mail_gateway", cases.envelope(mail, source="mail_gateway"))
        case = cases.events.wait_for("case_created", case__title=mail.subject)[0]["payload"]["case"]
    finally:
        cases.call("update_case_settings", changes={"hold_unknown_senders": False})
    assert case["held_for_approval"] is True
    waiting = cases.call("list_contacts", approved=False)["items"]
    contact = next(c for c in waiting if c["emails"] == [sender])
    assert contact["approved"] is False

    approved = cases.call("save_contact", contact_id=contact["id"], data={"approved": True}, actor=admin)
    assert approved["approved"] is True
    assert cases.call("get_case", case_id=case["id"])["held_for_approval"] is False
    cases.events.wait_for("case_updated", case__id=case["id"], case__held_for_approval=False)
    assert ("held_for_approval", "True", "False") in _history(cases, case["id"])


def test_directory(cases: Any, admin: dict[str, Any]) -> None:
    org = cases.call("save_organisation", data={"name": f"Org {uuid.uuid4().hex[:4]}"})
    tag = uuid.uuid4().hex[:4]
    contact = cases.call(
        "save_contact",
        data={
            "name": "Liv",
            "emails": [f"liv{tag}@a.example", f"LIV{tag}@b.example"],
            "phone": "+47 1234",
            "organisation_id": org["id"],
        },
        actor=admin,
    )
    assert contact["emails"] == [f"liv{tag}@a.example", f"liv{tag}@b.example"]
    assert contact["organisation"] == {"id": org["id"], "name": org["name"]} and contact["phone"] == "+47 1234"
    assert cases.call("get_contact", contact_id=contact["id"]) == contact
    assert cases.call("list_contacts", q=f"liv{tag}@b")["items"] == [contact]
    dup = _error(lambda: cases.call("save_contact", data={"emails": [f"liv{tag}@a.example"]}, actor=admin))
    assert dup.code == "validation_error"
    assert _error(lambda: cases.call("save_organisation", data={"name": org["name"]})).code == "validation_error"

    agent = cases.call("save_agent", data={"email": f"agent{tag}@example.com", "name": "Agent"})
    group = cases.call("save_group", data={"name": f"Level 2 {tag}", "member_ids": [agent["id"], admin["id"]]})
    assert group["member_ids"] == sorted([agent["id"], admin["id"]])
    group = cases.call("save_group", group_id=group["id"], data={"name": group["name"], "member_ids": [admin["id"]]})
    assert group["member_ids"] == [admin["id"]]
    agent = cases.call("save_agent", agent_id=agent["id"], data={"group_ids": [group["id"]], "is_admin": True})
    assert agent["group_ids"] == [group["id"]] and agent["is_admin"] is True
    assert any(g["id"] == group["id"] for g in cases.call("list_groups_detail"))
    assert _error(lambda: cases.call("save_group", group_id=999999, data={"name": "x"})).code == "not_found"


def test_a_case_for_a_contact_of_an_organisation_belongs_to_it_and_its_requester_can_change(
    cases: Any, admin: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:6]
    org = cases.call("save_organisation", data={"name": f"Fjord {tag}"})
    other_org = cases.call("save_organisation", data={"name": f"Bay {tag}"})
    liv = cases.call(
        "save_contact",
        data={"name": "Liv", "emails": [f"liv{tag}@fjord.example"], "organisation_id": org["id"]},
        actor=admin,
    )
    ola = cases.call("save_contact", data={"name": "Ola", "emails": [f"ola{tag}@else.example"]}, actor=admin)

    # no organisation given: the requester's; one given: that one; a contact of none: none
    made = _new_case(cases, admin, requester_email=f"liv{tag}@fjord.example")
    assert made["organisation"] == {"id": org["id"], "name": org["name"]}
    assert _new_case(cases, admin, requester_email=f"liv{tag}@fjord.example", organisation_id=other_org["id"])[
        "organisation"
    ] == {"id": other_org["id"], "name": other_org["name"]}
    assert _new_case(cases, admin, requester_email=f"ola{tag}@else.example")["organisation"] is None

    # another requester, recorded in the history by name and address
    changed = _update(cases, admin, made, requester_id=ola["id"])
    assert changed["requester"]["id"] == ola["id"], changed
    assert changed["version"] > made["version"], (changed["version"], made["version"])
    assert ("requester_id", f"Liv <liv{tag}@fjord.example>", f"Ola <ola{tag}@else.example>") in _history(
        cases, made["id"]
    )
    # a contact that does not exist is refused and changes nothing; null leaves the requester as it is
    assert _error(lambda: _update(cases, admin, changed, requester_id=424242)).code == "validation_error"
    assert _update(cases, admin, changed, requester_id=None) == changed
    assert cases.call("get_case", case_id=made["id"])["requester"]["id"] == ola["id"]
    assert liv["id"] != ola["id"]
