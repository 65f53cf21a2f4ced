"""On the cases side: a contact's channel preference (migration 0006) reaches notifications on every
case event, and a reply's status change says which message caused it (so no second notice is mailed)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from contracts.errors import DomainError


def _contact(cases: Any, admin: dict[str, Any], **data: Any) -> dict[str, Any]:
    data.setdefault("emails", [f"sms{uuid.uuid4().hex[:6]}@customer.example"])
    data.setdefault("name", "Siri")
    return cases.call("save_contact", data=data, actor=admin)


def test_the_preference_is_stored_validated_and_carried_on_case_events(cases: Any, admin: dict[str, Any]) -> None:
    contact = _contact(cases, admin)
    assert contact["preferred_channel"] == "email"  # the default, also for contacts from before 0006

    with pytest.raises(DomainError) as no_phone:
        cases.call("save_contact", contact_id=contact["id"], data={"preferred_channel": "sms"}, actor=admin)
    assert no_phone.value.code == "validation_error" and "phone" in no_phone.value.message
    with pytest.raises(DomainError) as unknown:
        cases.call("save_contact", contact_id=contact["id"], data={"preferred_channel": "pigeon"}, actor=admin)
    assert unknown.value.code == "validation_error"

    saved = cases.call(
        "save_contact",
        contact_id=contact["id"],
        data={"phone": "+47 955 55 555", "preferred_channel": "sms"},
        actor=admin,
    )
    assert saved["preferred_channel"] == "sms"
    # clearing the phone while SMS is preferred would leave a preference nobody can honour
    with pytest.raises(DomainError):
        cases.call("save_contact", contact_id=contact["id"], data={"phone": ""}, actor=admin)

    case = cases.call(
        "create_case",
        data={"title": f"SMS {uuid.uuid4().hex[:6]}", "requester_email": contact["emails"][0]},
        actor=admin,
    )
    [created] = cases.events.wait_for("case_created", case__id=case["id"])
    assert created["payload"]["case"]["requester"]["preferred_channel"] == "sms"
    assert created["payload"]["case"]["requester"]["phone"] == "+47 955 55 555"


def test_a_status_change_caused_by_a_reply_names_the_message(cases: Any, admin: dict[str, Any]) -> None:
    contact = _contact(cases, admin)
    case = cases.call(
        "create_case",
        data={
            "title": f"Cause {uuid.uuid4().hex[:6]}",
            "requester_email": contact["emails"][0],
            "assignee_id": admin["id"],
        },
        actor=admin,
    )
    message = cases.call("add_message", case_id=case["id"], data={"body": "Which model?"}, actor=admin)
    [update] = cases.events.wait_for("case_updated", case__id=case["id"], case__status="waiting")
    assert update["payload"]["message_id"] == message["id"]

    resolved = cases.call(
        "update_case",
        case_id=case["id"],
        changes={"status": "resolved"},
        expected_version=update["payload"]["case"]["version"],
        actor=admin,
    )
    [direct] = cases.events.wait_for("case_updated", case__id=case["id"], case__status="resolved")
    assert resolved["status"] == "resolved"
    assert direct["payload"]["message_id"] is None
