"""Organisation settings applied (E3): never / link only / full, sender address, closing greeting, followers
in CC (never robots, never bounced addresses, never for internal notes), through the real SMTP sink."""

from __future__ import annotations

import re
import time
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
from contracts.cases import Actor, CaseCreated, CaseRead, CaseUpdated, MessageAdded
from contracts.errors import DomainError
from contracts.mail_gateway import MailBounced
from contracts.tokens import case_id_from_address, read_case_link_token

PORTAL = "https://portal.example.test"


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir, portal_url=PORTAL
    ) as worker:
        yield worker


def _in_org(org_id: int, followers: list[dict[str, Any]] | None = None, **over: Any) -> CaseRead:
    data = make_case(**over).model_dump(mode="json")
    data["organisation"] = {"id": org_id, "name": f"Org {org_id}"}
    data["followers"] = followers or []
    return CaseRead.model_validate(data)


def _set(rpc: SyncRpc, org_id: int | None, **data: Any) -> dict[str, Any]:
    result: dict[str, Any] = rpc.call("notifications", "set_customer_mail_settings", organisation_id=org_id, data=data)
    return result


def _text(mail: Any) -> str:
    return str(mail.get_body(("plain",)).get_content()).replace("\r\n", "\n")


def test_link_only_organisation_gets_a_link_from_its_own_sender_with_its_greeting(
    worker: Worker, publisher: Publisher, sink: SmtpSink, rpc: SyncRpc
) -> None:
    org = next_id()
    saved = _set(
        rpc, org, conversation="link", sender_address="desk@example.com", sender_name="Desk", closing_greeting="Cheers,"
    )
    assert saved["effective"]["conversation"] == "link"
    customer = "lena@customer.example"
    case = _in_org(org, title="Invoice copy", requester_email=customer)
    reply = make_message(case=case, author_type="agent", channel="web", body="SECRET-BODY: the invoice is attached")
    publisher.publish(MessageAdded(case=case, message=reply))

    [mail] = sink.wait_for(customer)
    assert mail["From"].addresses[0].addr_spec == "desk@example.com"
    assert mail["From"].addresses[0].display_name == "Desk"
    reply_to = mail["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("desk+c") and case_id_from_address(reply_to, secret=SECRET) == case.id
    text, html = _text(mail), mail.get_body(("html",)).get_content()
    # the signed case link (D5): opens this case for its requester in the portal without a sign-in
    [link] = re.findall(rf"{re.escape(PORTAL)}/c/[0-9a-f.]+", text)
    assert f'href="{link}"' in html
    assert read_case_link_token(link.rsplit("/", 1)[1], secret=SECRET, now=time.time()) == (case.id, case.requester.id)
    assert "SECRET-BODY" not in mail.as_string()
    assert "Cheers," in text


def test_never_means_no_mail_of_any_kind_and_the_log_says_why(
    worker: Worker, publisher: Publisher, sink: SmtpSink, rpc: SyncRpc
) -> None:
    org = next_id()
    _set(rpc, org, conversation="never")
    customer = "mute@customer.example"
    case = _in_org(org, title="Do not mail me", requester_email=customer)
    agent = Actor(type="agent", id=1, name="Kim")
    envelopes = [
        publisher.publish(CaseCreated(case=case, first_message=make_message(case=case, author_email=customer))),
        publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="agent"))),
        publisher.publish(CaseUpdated(case=case, changes={"status": {"old": "open", "new": "resolved"}}, actor=agent)),
    ]
    consumers = ["on_case_created", "on_message_added", "on_case_updated"]
    wait_until(
        lambda: all(worker.processed(e.event_id, c) for e, c in zip(envelopes, consumers, strict=True)),
        what="events processed by the customer mail consumers",
    )
    rows = worker.deliveries(case_id=case.id)
    assert sorted(r["kind"] for r in rows) == ["confirmation", "reply", "resolved_notice"]
    assert {(r["status"], r["last_error"]) for r in rows} == {
        ("suppressed", "organisation setting: never email the customer")
    }
    # a case of another organisation, published afterwards, proves the sender was running all along
    other = make_case(title="Control", requester_email="control@customer.example")
    publisher.publish(MessageAdded(case=other, message=make_message(case=other, author_type="agent")))
    sink.wait_for("control@customer.example")
    assert sink.to(customer) == []


def test_followers_are_copied_when_the_organisation_wants_it_but_never_robots_bounced_or_on_notes(
    worker: Worker, publisher: Publisher, sink: SmtpSink, rpc: SyncRpc
) -> None:
    org = next_id()
    _set(rpc, org, cc_followers=True)
    customer = "maja@customer.example"
    bounced = "gone@customer.example"
    bounce = publisher.publish(
        MailBounced(inbound_mail_id=1, recipient=bounced, status="5.1.1"), service="mail_gateway"
    )
    wait_until(lambda: worker.processed(bounce.event_id, "on_mail_bounced"), what="bounce recorded")
    followers = [
        {"id": next_id(), "email": "boss@customer.example", "name": "Boss"},
        {"id": next_id(), "email": "no-reply@customer.example", "name": "Robot"},
        {"id": next_id(), "email": bounced, "name": "Gone"},
        {"id": next_id(), "email": customer.upper(), "name": "Maja again"},
        {"id": next_id(), "email": None, "name": "Phone only"},
    ]
    case = _in_org(org, followers=followers, title="Office move", requester_email=customer)
    note = make_message(case=case, author_type="agent", visibility="internal", body="INTERNAL: budget is tight")
    note_env = publisher.publish(MessageAdded(case=case, message=note))
    wait_until(lambda: worker.processed(note_env.event_id, "on_message_added"), what="note processed")
    reply = make_message(case=case, author_type="agent", channel="web", body="The movers come Monday.")
    publisher.publish(MessageAdded(case=case, message=reply))

    [to_customer] = sink.wait_for(customer)
    [to_boss] = sink.wait_for("boss@customer.example")
    for mail in (to_customer, to_boss):
        assert [a.addr_spec for a in mail["Cc"].addresses] == ["boss@customer.example"]
        assert "The movers come Monday." in _text(mail)
        assert "INTERNAL" not in mail.as_string()
    assert to_customer["Message-ID"] == to_boss["Message-ID"]
    time.sleep(0.5)
    for nobody in ("no-reply@customer.example", bounced):
        assert sink.to(nobody) == []
    rows = worker.deliveries(case_id=case.id)
    assert sorted((r["recipient"], r["case_message_id"]) for r in rows) == [
        ("boss@customer.example", reply.id),
        (customer, reply.id),
    ]


def test_a_workspace_without_follower_copies_mails_the_requester_alone(
    worker: Worker, publisher: Publisher, sink: SmtpSink
) -> None:
    customer = "nils@customer.example"
    case = _in_org(
        next_id(),
        followers=[{"id": next_id(), "email": "peer@customer.example", "name": "Peer"}],
        requester_email=customer,
    )
    publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="agent")))
    [mail] = sink.wait_for(customer)
    assert mail["Cc"] is None
    # the mail was sent, so its consumer has committed every delivery it queued: one, to the requester
    assert [d["recipient"] for d in worker.deliveries(case_id=case.id)] == [customer]
    assert sink.to("peer@customer.example") == []


def test_invalid_settings_are_refused_with_the_reason(worker: Worker, rpc: SyncRpc) -> None:
    with pytest.raises(DomainError) as wrong:
        _set(rpc, None, conversation="sometimes")
    assert wrong.value.code == "validation_error"
    assert "conversation" in str(wrong.value.details)
    with pytest.raises(DomainError) as bad_org:
        rpc.call("notifications", "get_customer_mail_settings", organisation_id=-3)
    assert bad_org.value.code == "validation_error"


def test_an_organisations_sender_mailbox_is_never_mailed_itself(
    worker: Worker, publisher: Publisher, sink: SmtpSink, rpc: SyncRpc
) -> None:
    org = next_id()
    _set(rpc, org, sender_address="loop-desk@example.com")
    case = _in_org(org, title="Forwarded by our own desk", requester_email="Loop-Desk@example.com")
    envelope = publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="agent")))
    wait_until(lambda: worker.processed(envelope.event_id, "on_message_added"), what="reply processed")
    [row] = worker.deliveries(case_id=case.id)
    assert (row["status"], row["last_error"]) == ("suppressed", "own mailbox address")
    assert sink.to("loop-desk@example.com") == []
