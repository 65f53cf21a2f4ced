"""Required fields bind agents and API callers, never a customer's mail, SMS or portal message (decision 0110)."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from contracts.errors import DomainError
from contracts.gateway import SmsReceived
from contracts.mail_gateway import MailAddress, MailReceived

_inbound_ids = itertools.count(int(time.time() * 10))
MISSING = "follower_ids, custom_fields.contract"


@pytest.fixture
def required(cases: Any) -> Iterator[None]:
    """`follower_ids` and a custom field `contract` made required by an admin, undone afterwards."""
    field = {"key": "contract", "label": "Contract", "type": "text"}
    known = [f for f in cases.call("list_custom_fields") if f["key"] == "contract"]
    saved = cases.call(
        "save_custom_field", field_id=known[0]["id"] if known else None, data={**field, "required": True}
    )
    cases.call("save_field_config", data={"field": "follower_ids", "used": True, "required": True})
    try:
        yield
    finally:
        cases.call("save_field_config", data={"field": "follower_ids", "used": True, "required": False})
        cases.call("save_custom_field", field_id=saved["id"], data={**field, "required": False})


def _missing(cases: Any, case_id: int) -> list[str]:
    return [
        h["new_value"]
        for h in cases.call("get_case_history", case_id=case_id)
        if h["field"] == "required_fields_missing"
    ]


def test_a_mail_without_required_fields_still_opens_a_case(cases: Any, required: None) -> None:
    subject = f"Printer {uuid.uuid4().hex[:8]}"
    mail = MailReceived(
        inbound_mail_id=next(_inbound_ids),
        mailbox="support@helpdesk.example.com",
        default_group="Support",
        message_id=f"<{uuid.uuid4().hex}@customer.example>",
        from_address=MailAddress(email=f"req.{uuid.uuid4().hex[:6]}@customer.example", name=""),
        subject=subject,
        text_body="Hello",
    )
    cases.publish("mail_gateway", cases.envelope(mail, source="mail_gateway"))
    case = cases.events.wait_for("case_created", case__title=subject)[0]["payload"]["case"]
    assert case["followers"] == [] and case["custom_fields"] == {}
    assert case["status_name"] == "New"
    assert _missing(cases, case["id"]) == [MISSING]
    assert (
        cases.rows("SELECT case_id FROM message WHERE inbound_mail_id = :i", i=mail.inbound_mail_id)[0].case_id
        == (case["id"])
    )


def test_an_sms_without_required_fields_still_opens_a_case(cases: Any, required: None) -> None:
    number = f"+4791{int(time.time() * 1000) % 1_000_000:06d}"
    sms = SmsReceived(message_sid=uuid.uuid4().hex, from_number=number, body=f"Help {uuid.uuid4().hex[:6]}")
    cases.publish("gateway", cases.envelope(sms, source="gateway"))
    case = cases.events.wait_for("case_created", case__source="sms", case__description=sms.body)[0]["payload"]["case"]
    assert _missing(cases, case["id"]) == [MISSING]


def test_a_portal_follow_up_without_required_fields_still_opens_a_case(
    cases: Any, admin: dict[str, Any], required: None
) -> None:
    email = f"port.{uuid.uuid4().hex[:6]}@customer.example"
    contact = cases.call("save_contact", data={"name": "Port", "emails": [email]}, actor=admin)
    case = cases.call(
        "create_case",
        data={
            "title": "Old problem",
            "requester_email": email,
            "follower_ids": [contact["id"]],
            "custom_fields": {"contract": "C-1"},
            "assignee_id": admin["id"],
        },
        actor=admin,
    )
    cases.call("update_case", case_id=case["id"], changes={"status": "closed"}, actor=admin)
    cases.call("update_case_settings", changes={"closed_reply": "follow_up"})
    try:
        message = cases.call("add_contact_message", case_id=case["id"], contact_id=contact["id"], body="Again")
    finally:
        cases.call("update_case_settings", changes={"closed_reply": "reopen"})
    assert message["case_id"] != case["id"]
    assert _missing(cases, message["case_id"]) == [MISSING]


def test_agents_and_api_callers_are_still_held_to_required_fields(
    cases: Any, admin: dict[str, Any], required: None
) -> None:
    with pytest.raises(DomainError) as refused:
        cases.call("create_case", data={"title": f"By hand {uuid.uuid4().hex[:6]}"}, actor=admin)
    assert refused.value.code == "required_field_missing"
    assert refused.value.details == {"missing": ["follower_ids", "custom_fields.contract"]}
