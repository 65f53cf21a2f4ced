"""Threading aids end to end (E6 rules 2 and 3, decision 0090): a customer's answer that lost its In-Reply-To and
References still lands on its case, through the signed Reply-To plus-address or the signed subject token.

Real processes throughout: SMTP in through the mail gateway, cases, notifications out to the SMTP sink.
"""

from __future__ import annotations

import uuid
from email.message import EmailMessage

from look import case_titled as _case_titled
from look import mail_to as _mail_to
from look import messages as _messages
from look import processed_inbound as _inbound
from look import wait_until
from mail import customer_mail, deliver


def _bare_answer(*, sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """An answer from a mail program that keeps no threading headers at all."""
    msg = customer_mail(sender=sender, subject=subject, body=body)
    del msg["To"]
    msg["To"] = to
    assert msg["In-Reply-To"] is None and msg["References"] is None
    return msg


def test_an_answer_without_threading_headers_lands_through_reply_to_or_the_subject_token(system):
    sys_, sink = system
    api = sys_.api()
    customer = f"lisa.{uuid.uuid4().hex[:8]}@customer.example"
    first = customer_mail(sender=f"Lisa <{customer}>", subject="Badge reader broken", body="Door 4 is dead.")
    deliver(sys_.smtp_port, first)
    case = wait_until(lambda: _case_titled(api, first["Subject"]), what="case from mail")
    [confirmation] = wait_until(lambda: _mail_to(sink, customer), what="confirmation")
    reply_to = confirmation["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("support+c") and reply_to.endswith("@example.com")
    assert confirmation["Subject"].startswith("[#") and confirmation["Subject"].endswith("] Badge reader broken")
    token = confirmation["Subject"].split("]", 1)[0] + "]"
    assert token.startswith(f"[#{case['number']}-")

    # 1. "reply" in a program that drops In-Reply-To/References and the subject: only the address is left
    by_address = _bare_answer(
        sender=f"Lisa <{customer}>", to=reply_to, subject="door 4 again", body="It beeps now. (by address)"
    )
    deliver(sys_.smtp_port, by_address)
    inbound = wait_until(lambda: _inbound(sys_.amqp_uri, by_address["Message-ID"]), what="answer processed")
    assert (inbound["thread_reason"], inbound["thread_case_id"]) == ("signed_plus_address", case["id"])

    # 2. a fresh mail to the plain mailbox that only keeps the token in its subject
    by_subject = _bare_answer(
        sender=customer, to="support@example.com", subject=f"Fwd: {token} photo", body="Photo attached. (by token)"
    )
    deliver(sys_.smtp_port, by_subject)
    inbound = wait_until(lambda: _inbound(sys_.amqp_uri, by_subject["Message-ID"]), what="token answer processed")
    assert (inbound["thread_reason"], inbound["thread_case_id"]) == ("signed_subject_token", case["id"])

    bodies = wait_until(
        lambda: (b := [m["body_text"] for m in _messages(api, case["id"])]) and len(b) == 3 and b,
        what="both answers on the case",
    )
    assert any("(by address)" in b for b in bodies) and any("(by token)" in b for b in bodies)
    assert _case_titled(api, "door 4 again") is None and _case_titled(api, f"Fwd: {token} photo") is None

    # the agent's answer carries the same aids, and the token only once
    sent = api.post(
        f"/api/v1/cases/{case['id']}/messages", json={"body": "A technician is coming.", "visibility": "public"}
    )
    assert sent.status_code == 201, sent.text
    answer = wait_until(
        lambda: [m for m in _mail_to(sink, customer) if "technician" in m.get_body(("plain",)).get_content()],
        what="agent reply mailed",
    )[0]
    assert answer["Reply-To"].addresses[0].addr_spec == reply_to
    assert answer["Subject"] == f"Re: Badge reader broken {token}"
