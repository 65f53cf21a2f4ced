"""Loop safety end to end (E4): an out-of-office answer to our confirmation never makes us write again."""

from __future__ import annotations

import time
import uuid
from email.message import EmailMessage

from look import case_titled as _case_titled
from look import mail_to as _mail_to
from look import messages as _messages
from look import processed_inbound as _processed_inbound
from look import wait_until
from mail import customer_mail, deliver

# how long we watch the relay after the robot's mail was processed: far more than a send tick (0.2 s)
QUIET_PERIOD = 3.0


def _out_of_office(*, sender: str, answering: EmailMessage) -> EmailMessage:
    ooo = customer_mail(
        sender=sender,
        subject=f"Automatic reply: {answering['Subject']}",
        body="I am out of the office until Monday.",
        in_reply_to=answering["Message-ID"],
        references=[answering["Message-ID"]],
    )
    ooo["Auto-Submitted"] = "auto-replied"
    return ooo


def test_an_out_of_office_reply_to_our_confirmation_produces_no_further_mail(system):
    sys_, sink = system
    api = sys_.api()
    customer = f"away.{uuid.uuid4().hex[:8]}@customer.example"
    first = customer_mail(sender=f"Per <{customer}>", subject="VPN drops every hour", body="Please help.")
    deliver(sys_.smtp_port, first)
    case = wait_until(lambda: _case_titled(api, first["Subject"]), what="case from mail")
    [confirmation] = wait_until(lambda: _mail_to(sink, customer), what="confirmation")
    assert confirmation["Auto-Submitted"] == "auto-replied"

    # the customer's mail server answers our confirmation on their behalf, twice (as robots do)
    for _ in range(2):
        deliver(sys_.smtp_port, _out_of_office(sender=customer, answering=confirmation))
    robots = wait_until(
        lambda: (
            (m := [x for x in _messages(api, case["id"]) if "out of the office" in x["body_text"]])
            and len(m) == 2
            and m
        ),
        what="both auto-replies kept on the case",
    )
    assert {m["visibility"] for m in robots} == {"internal"}
    time.sleep(QUIET_PERIOD)

    assert _mail_to(sink, customer) == [confirmation], "an auto-reply caused more mail"
    assert _case_titled(api, f"Automatic reply: {confirmation['Subject']}") is None
    deliveries = api.get("/api/v1/deliveries", params={"case": case["id"]}).json()["items"]
    assert [(d["kind"], d["status"]) for d in deliveries] == [("confirmation", "sent")]


def test_an_unthreaded_out_of_office_mail_opens_no_case_and_gets_no_answer(system):
    sys_, sink = system
    api = sys_.api()
    robot = f"away.{uuid.uuid4().hex[:8]}@customer.example"
    ooo = customer_mail(sender=robot, subject="Out of office", body="Back on Monday.")
    ooo["Auto-Submitted"] = "auto-replied"
    deliver(sys_.smtp_port, ooo)
    inbound = wait_until(lambda: _processed_inbound(sys_.amqp_uri, ooo["Message-ID"]), what="robot mail processed")
    assert inbound["kind"] == "auto_reply"
    time.sleep(QUIET_PERIOD)

    assert _case_titled(api, "Out of office") is None
    assert _mail_to(sink, robot) == []
    assert api.get("/api/v1/deliveries", params={"recipient": robot}).json()["items"] == []
