"""Customer mail leaves from the mailbox the case came in on (decision 0101), through the SMTP sink."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from notifications_testkit import (
    SECRET,
    Publisher,
    SmtpSink,
    Worker,
    make_case,
    make_message,
    next_id,
    running_worker,
    wait_until,
)

from chassis.testing import SyncRpc
from contracts.cases import CaseCreated, CaseRead, MessageAdded
from contracts.tokens import case_id_from_address


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url,
        amqp_uri=amqp_uri,
        smtp_port=sink.port,
        log_dir=work_dir,
        var_dir=work_dir,
        from_address="support@example.com",
    ) as worker:
        yield worker


def _case(*, mailbox: str | None, org_id: int | None = None, **over: Any) -> CaseRead:
    data = make_case(**over).model_dump(mode="json")
    data["mailbox"] = mailbox
    if org_id is not None:
        data["organisation"] = {"id": org_id, "name": f"Org {org_id}"}
    return CaseRead.model_validate(data)


def _from_and_reply_to(mail: Any) -> tuple[str, str]:
    return mail["From"].addresses[0].addr_spec, mail["Reply-To"].addresses[0].addr_spec


def test_the_inbound_mailbox_beats_the_organisation_and_workspace_senders(
    worker: Worker, publisher: Publisher, sink: SmtpSink, rpc: SyncRpc
) -> None:
    org = next_id()
    rpc.call(
        "notifications",
        "set_customer_mail_settings",
        organisation_id=org,
        data={"sender_address": "org-desk@example.com", "sender_name": "Org Desk"},
    )
    billing = _case(mailbox="billing@example.com", org_id=org, requester_email="pia@customer.example")
    plain = _case(mailbox=None, org_id=org, requester_email="ole@customer.example")
    for case in (billing, plain):
        publisher.publish(CaseCreated(case=case, first_message=make_message(case=case, email_message_id=None)))
        publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="agent")))

    confirmation, reply = sink.wait_for("pia@customer.example", count=2)
    for mail in (confirmation, reply):
        sender, reply_to = _from_and_reply_to(mail)
        assert sender == "billing@example.com"
        assert mail["From"].addresses[0].display_name == "Org Desk"  # the name still comes from the settings
        assert reply_to.startswith("billing+c") and reply_to.endswith("@example.com")
        assert case_id_from_address(reply_to, secret=SECRET) == billing.id
    # no mailbox recorded (not an email case, or a case older than the mailbox field): the organisation's sender
    for mail in sink.wait_for("ole@customer.example", count=2):
        sender, reply_to = _from_and_reply_to(mail)
        assert sender == "org-desk@example.com" and reply_to.startswith("org-desk+c")


def test_a_case_from_a_mailbox_outside_any_organisation_uses_it_over_the_service_default(
    worker: Worker, publisher: Publisher, sink: SmtpSink
) -> None:
    case = _case(mailbox="Sales@Example.com", requester_email="siv@customer.example")
    publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="agent")))
    [mail] = sink.wait_for("siv@customer.example")
    assert _from_and_reply_to(mail)[0] == "sales@example.com"


def test_a_customer_writing_from_the_inbound_mailbox_itself_gets_no_confirmation(
    worker: Worker, publisher: Publisher, sink: SmtpSink
) -> None:
    case = _case(mailbox="loop@example.com", requester_email="loop@example.com")
    envelope = publisher.publish(CaseCreated(case=case, first_message=make_message(case=case)))
    wait_until(lambda: worker.processed(envelope.event_id, "on_case_created"), what="case_created processed")
    [row] = worker.deliveries(case_id=case.id)
    assert row["status"] == "suppressed"
    assert sink.to("loop@example.com") == []
