"""A reply never overtakes the mail it answers (decision 0223): it waits while that mail is stored but not threaded.

This stack has no cases service: a mail's case is learned only when the test publishes cases' event, so every
wait here is visible and ends exactly when the test says so.
"""

from __future__ import annotations

from conftest import SUPPORT
from test_processing import _case, _message

from chassis.testing import ServiceProcess, free_port
from contracts.cases import CaseCreated, MessageAdded


def _reply(stack, mid: str, parent: str, references: list[str] | None = None) -> bytes:
    headers = {"In-Reply-To": f"<{parent}>"}
    if references:
        headers["References"] = " ".join(f"<{r}>" for r in references)
    return stack.mail(message_id=mid, subject="Re: Printer on floor 3 is broken", headers=headers)


def _send_all(stack, mails: list[bytes]) -> None:
    """One SMTP session, one mail right behind the other, as an MTA flushing its queue."""
    with stack.smtp_client() as client:
        for raw in mails:
            assert client.sendmail("kari@customer.test", [SUPPORT], raw) == {}


def test_a_reply_waits_for_its_parent_case_and_then_joins_it(stack):
    parent, reply, second = stack.unique("parent"), stack.unique("reply"), stack.unique("reply2")
    _send_all(
        stack,
        [
            stack.mail(message_id=parent),
            _reply(stack, reply, parent),
            _reply(stack, second, reply, references=[parent, reply]),
        ],
    )
    [parent_row] = stack.wait_rows(lambda r: r[0].status == "processed", message_id=parent)
    assert parent_row.thread_reason == "new_case"
    # cases has not answered for the parent: the reply holds, and the reply to the reply holds behind it
    [waiting] = stack.wait_rows(lambda r: r[0].status == "waiting", message_id=reply)
    assert waiting.waiting_for == parent_row.id and waiting.wait_until is not None
    [behind] = stack.wait_rows(lambda r: r[0].status == "waiting", message_id=second)
    assert behind.waiting_for == waiting.id
    assert [e for e in stack.events.events if e.get("payload", {}).get("message_id") in (reply, second)] == []

    stack.publish_cases_event(
        CaseCreated(case=_case(301), first_message=_message(301, parent), inbound_mail_id=parent_row.id)
    )
    [event] = stack.wait_emitted([reply])[reply]
    assert event["payload"]["thread"] == {"case_id": 301, "reason": "known_message_id"}
    [row] = stack.rows(message_id=reply)
    assert (row.status, row.thread_case_id) == ("processed", 301)
    assert stack.rows(message_id=second)[0].status == "waiting"  # its own parent is not threaded yet

    stack.publish_cases_event(MessageAdded(case=_case(301), message=_message(301, reply), inbound_mail_id=row.id))
    [event] = stack.wait_emitted([second])[second]
    assert event["payload"]["thread"] == {"case_id": 301, "reason": "known_message_id"}


def test_unrelated_mail_is_not_held_up_by_a_waiting_reply(stack):
    parent, reply, other = stack.unique("p"), stack.unique("r"), stack.unique("other")
    _send_all(stack, [stack.mail(message_id=parent), _reply(stack, reply, parent), stack.mail(message_id=other)])
    stack.wait_emitted([parent, other])
    assert stack.rows(message_id=reply)[0].status == "waiting"


def test_a_reply_to_a_quarantined_mail_is_released_and_opens_a_case(stack):
    parent, reply = stack.unique("deep"), stack.unique("reply-deep")
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(80))
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(80)))
    deep = (
        (
            f"From: Kari <kari@customer.test>\r\nTo: {SUPPORT}\r\nSubject: deep\r\nMessage-ID: <{parent}>\r\n"
            "MIME-Version: 1.0\r\n"
        ).encode()
        + opening
        + b"Content-Type: text/plain\r\n\r\nhello\r\n"
        + closing
    )
    _send_all(stack, [deep, _reply(stack, reply, parent)])
    [event] = stack.wait_emitted([reply])[reply]
    assert event["payload"]["thread"] == {"case_id": None, "reason": "new_case"}
    assert stack.rows(message_id=parent)[0].status == "quarantined"


def test_two_mails_naming_each_other_do_not_wait_for_each_other(stack):
    first, second = stack.unique("cycle-a"), stack.unique("cycle-b")
    _send_all(
        stack,
        [
            stack.mail(message_id=first, headers={"In-Reply-To": f"<{second}>"}),
            stack.mail(message_id=second, headers={"In-Reply-To": f"<{first}>"}),
        ],
    )
    # the older one goes first, as a new case; the younger then waits for that case, as any reply
    [event] = stack.wait_emitted([first])[first]
    assert event["payload"]["thread"] == {"case_id": None, "reason": "new_case"}
    [first_row] = stack.rows(message_id=first)
    [second_row] = stack.wait_rows(lambda r: r[0].status == "waiting", message_id=second)
    assert second_row.waiting_for == first_row.id
    stack.publish_cases_event(
        CaseCreated(case=_case(302), first_message=_message(302, first), inbound_mail_id=first_row.id)
    )
    [event] = stack.wait_emitted([second])[second]
    assert event["payload"]["thread"] == {"case_id": 302, "reason": "known_message_id"}


def test_a_reply_whose_parent_cases_never_answers_goes_on_after_the_deadline(stack, tmp_path):
    """A worker that waits 2 s: the parent's case never comes, the reply is threaded by the normal rules."""
    stack.worker.stop()
    ops = free_port()
    env = {**stack.env, "MAIL_GATEWAY_PARENT_WAIT_SECONDS": "2", "MAIL_GATEWAY_OPS_PORT": str(ops)}
    impatient = ServiceProcess("mail_gateway", "worker", env, f"http://127.0.0.1:{ops}/healthz", tmp_path)
    try:
        impatient.start()
        parent, reply = stack.unique("lost"), stack.unique("reply-lost")
        _send_all(stack, [stack.mail(message_id=parent), _reply(stack, reply, parent)])
        [event] = stack.wait_emitted([reply])[reply]
        assert event["payload"]["thread"] == {"case_id": None, "reason": "new_case"}
        [row] = stack.rows(message_id=reply)
        [parent_row] = stack.rows(message_id=parent)
        assert (row.status, row.waiting_for) == ("processed", parent_row.id)  # it did wait, then went on
    finally:
        impatient.stop()
        stack.worker.start()
