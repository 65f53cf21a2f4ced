"""A case opened by mail remembers the mailbox it came in on: on its events and on `get_case`."""

from __future__ import annotations

import uuid
from typing import Any

from conftest import mail_received

from contracts.mail_gateway import ThreadDecision


def test_the_mailbox_a_case_came_in_on_is_on_its_events_and_its_read_model(cases: Any) -> None:
    tag = uuid.uuid4().hex[:6]
    sender = f"mia.{tag}@customer.example"
    first = mail_received(sender, mailbox=" Billing@Helpdesk.example.com ")
    cases.publish("mail_gateway", cases.envelope(first, source="mail_gateway"))
    created = cases.events.wait_for("case_created", case__title=first.subject)[0]["payload"]["case"]
    assert created["mailbox"] == "billing@helpdesk.example.com"
    assert cases.call("get_case", case_id=created["id"])["mailbox"] == "billing@helpdesk.example.com"

    # a reply that arrives on another mailbox does not move the case: it keeps the one it came in on
    reply = mail_received(sender, mailbox="support@helpdesk.example.com", thread=ThreadDecision(case_id=created["id"]))
    cases.publish("mail_gateway", cases.envelope(reply, source="mail_gateway"))
    added = cases.events.wait_for("message_added", case__id=created["id"], message__email_message_id=reply.message_id)
    assert added[0]["payload"]["case"]["mailbox"] == "billing@helpdesk.example.com"


def test_a_case_not_opened_by_mail_has_no_mailbox(cases: Any, admin: dict[str, Any]) -> None:
    made = cases.call(
        "create_case", data={"title": f"Phone call {uuid.uuid4().hex[:6]}", "source": "phone"}, actor=admin
    )
    assert made["mailbox"] is None
