"""Loop safety end to end (E4): an out-of-office answer to our confirmation never makes us write again."""

from __future__ import annotations

import time
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
from mail import customer_mail, deliver

from chassis.testing import SyncRpc

# how long we watch the relay after the robot's mail was processed: far more than a send tick (0.2 s)
QUIET_PERIOD = 3.0


def wait_until(fetch: Any, timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fetch()
        if last:
            return last
        time.sleep(0.1)
    raise TimeoutError(f"{what} not met in {timeout}s (last: {last!r})")


def _case_titled(api: httpx.Client, title: str) -> dict[str, Any] | None:
    items = api.get("/api/v1/cases", params={"q": title, "limit": 100}).json()["items"]
    return next((c for c in items if c["title"] == title), None)


def _messages(api: httpx.Client, case_id: int) -> list[dict[str, Any]]:
    data = api.get(f"/api/v1/cases/{case_id}/messages").json()
    return data["items"] if isinstance(data, dict) else data


def _mail_to(sink: Any, address: str) -> list[EmailMessage]:
    return [m for rcpts, m in list(sink.messages) if address in rcpts]


def _processed_inbound(amqp_uri: str, message_id: str) -> dict[str, Any] | None:
    """The mail gateway's record of an inbound mail once it was processed (classified and handed on)."""
    rpc = SyncRpc(amqp_uri)
    try:
        page = rpc.call("mail_gateway", "list_inbound_mail", filters={"message_id": message_id.strip("<>")})
    finally:
        rpc.close()
    return next((m for m in page["items"] if m["status"] == "processed"), None)


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
