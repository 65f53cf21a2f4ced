"""Loop safety (E4): rate limits in Redis, and addresses suppressed after a hard bounce until cleared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from notifications_testkit import (
    Publisher,
    SmtpSink,
    Worker,
    make_case,
    make_message,
    running_worker,
    wait_until,
)

from chassis.testing import SyncRpc
from contracts.cases import CaseCreated, MessageAdded
from contracts.errors import NOT_FOUND, DomainError
from contracts.mail_gateway import MailBounced


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url,
        amqp_uri=amqp_uri,
        smtp_port=sink.port,
        log_dir=work_dir,
        var_dir=work_dir,
        rate_limit_per_recipient="3",
    ) as worker:
        yield worker


def _confirm(publisher: Publisher, email: str) -> int:
    case = make_case(requester_email=email)
    publisher.publish(CaseCreated(case=case, first_message=make_message(case=case, author_email=email)))
    return case.id


def test_automatic_mail_to_one_address_stops_at_the_limit_but_replies_still_go(
    worker: Worker, publisher: Publisher, sink: SmtpSink
) -> None:
    address = "flood@customer.example"
    case_ids = [_confirm(publisher, address) for _ in range(5)]
    rows = wait_until(
        lambda: (r := [d for i in case_ids for d in worker.deliveries(case_id=i)]) and len(r) == 5 and r,
        what="five deliveries",
    )
    statuses = sorted(r["status"] for r in rows)
    wait_until(lambda: len(sink.to(address)) == 3, what="three confirmations")
    assert statuses.count("suppressed") == 2
    limited = [r for r in rows if r["status"] == "suppressed"]
    assert all(r["last_error"].startswith("rate limited: more than 3 automatic mails") for r in limited)

    # a human reply is not automatic mail: the limit does not apply to it
    case = make_case(case_id=case_ids[0], requester_email=address)
    reply = make_message(case=case, author_type="agent", body="A human answer.")
    publisher.publish(MessageAdded(case=case, message=reply))
    wait_until(lambda: len(sink.to(address)) == 4, what="the agent's reply")
    assert len(sink.to(address)) == 4


def test_a_hard_bounce_suppresses_the_address_until_cleared(
    worker: Worker, publisher: Publisher, sink: SmtpSink, rpc: SyncRpc
) -> None:
    address = "bouncy@customer.example"
    first_case = _confirm(publisher, address)
    [sent] = wait_until(lambda: [d for d in worker.deliveries(case_id=first_case) if d["status"] == "sent"])

    bounce = MailBounced(
        inbound_mail_id=1,
        recipient=address.upper(),
        status="5.1.1",
        diagnostic="550 5.1.1 user unknown",
        original_message_id=f"<{sent['email_message_id']}>",
    )
    publisher.publish(bounce, service="mail_gateway")
    [row] = wait_until(lambda: [d for d in worker.deliveries(case_id=first_case) if d["status"] == "bounced"])
    assert row["last_error"] == "hard bounce 5.1.1: 550 5.1.1 user unknown"
    [listed] = rpc.call("notifications", "list_suppressions", address=address)
    assert listed["address"] == address and listed["status"] == "5.1.1"
    assert listed["original_message_id"] == sent["email_message_id"]

    # neither automatic mail nor an agent's reply goes to a suppressed address
    second_case = _confirm(publisher, address)
    case = make_case(case_id=first_case, requester_email=address)
    publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="agent")))
    blocked = wait_until(
        lambda: (
            (r := [d for d in worker.deliveries(recipient=address) if d["status"] == "suppressed"])
            and len(r) == 2
            and r
        ),
        what="two suppressed deliveries",
    )
    assert {r["last_error"] for r in blocked} == {"address suppressed after a hard bounce"}
    assert {r["kind"] for r in blocked} == {"confirmation", "reply"}
    assert {r["case_id"] for r in blocked} == {first_case, second_case}

    cleared = rpc.call("notifications", "clear_suppression", address=address)
    assert cleared["address"] == address
    assert rpc.call("notifications", "list_suppressions", address=address) == []
    _confirm(publisher, address)
    wait_until(lambda: len(sink.to(address)) == 2, what="mail after clearing")

    with pytest.raises(DomainError) as err:
        rpc.call("notifications", "clear_suppression", address=address)
    assert err.value.code == NOT_FOUND
