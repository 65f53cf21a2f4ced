"""What processing makes of real-world-shaped mail: threading rules 2-3, bounces, limits, CC/BCC, quarantine."""

from __future__ import annotations

import time
from typing import Any

from conftest import MAIL_DOMAIN, MAX_MESSAGE_BYTES, SECRET, SUPPORT
from corpus import ZAMMAD, needs
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_processing import _case

from chassis.testing import SyncRpc
from contracts.cases import CaseCreated
from contracts.tokens import make_message_id, make_reply_address, make_subject_token
from mail_gateway.db.models import CaseRef, InboundMail, Mailbox

BOUNCE = ZAMMAD / "mail033-undelivered-mail-returned-to-sender.box"
CORPUS_ORIGINAL_ID = b"20150830145601.30.608881@edenhofer.zammad.com"


def _events(stack: Any, event_type: str, **where: Any) -> list[dict[str, Any]]:
    return [
        e["payload"]
        for e in stack.events.events
        if e.get("event_type") == event_type and all(e["payload"].get(k) == v for k, v in where.items())
    ]


def test_a_reply_to_our_signed_plus_address_threads_by_it(stack):
    mid = stack.unique("plus")
    reply_to = make_reply_address(address=SUPPORT, case_id=31, secret=SECRET)
    assert stack.send(stack.mail(message_id=mid, subject="Re: printer", to=reply_to), rcpt=[reply_to]) == {}
    payload = stack.wait_emitted([mid])[mid][0]["payload"]
    assert payload["thread"] == {"case_id": 31, "reason": "signed_plus_address"}
    [row] = stack.rows(message_id=mid)
    assert row.thread_reason == "signed_plus_address" and row.mailbox.address == SUPPORT


def test_a_signed_subject_token_threads_once_cases_told_us_the_number(stack):
    stack.publish_cases_event(CaseCreated(case=_case(64).model_copy(update={"number": 1064})))
    _wait(lambda: _case_number_known(stack, 1064))
    mid = stack.unique("subject")
    subject = f"SV: {make_subject_token(number=1064, secret=SECRET)} Printer on floor 3"
    assert stack.send(stack.mail(message_id=mid, subject=subject)) == {}
    payload = stack.wait_emitted([mid])[mid][0]["payload"]
    assert payload["thread"] == {"case_id": 64, "reason": "signed_subject_token"}


@needs(ZAMMAD)
def test_a_postfix_hard_bounce_of_our_mail_emits_mail_bounced_and_threads_to_the_case(stack):
    ours = make_message_id(case_id=57, message_id=3, secret=SECRET, domain=MAIL_DOMAIN).encode()
    raw = BOUNCE.read_bytes().replace(CORPUS_ORIGINAL_ID, ours).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    assert stack.send(raw, sender="") == {}
    bounce_id = "20150830145606.9246B20C3E96@mx1.zammad.com"
    payload = stack.wait_emitted([bounce_id])[bounce_id][0]["payload"]
    assert (payload["kind"], payload["thread"]) == ("bounce", {"case_id": 57, "reason": "signed_message_id"})
    stack.events.wait_for("mail_bounced", recipient="not_existing@znuny.com")
    [bounced] = _events(stack, "mail_bounced", recipient="not_existing@znuny.com")
    assert bounced["status"] == "5.1.1" and bounced["case_id"] == 57
    assert bounced["original_message_id"] == ours.decode()
    assert bounced["inbound_mail_id"] == payload["inbound_mail_id"]
    assert not _events(stack, "mail_rejected", inbound_mail_id=payload["inbound_mail_id"])


def test_an_oversized_attachment_is_left_out_and_the_sender_is_told(stack):
    mid = stack.unique("bigatt")
    raw = stack.mail(message_id=mid, attachment=("scan.pdf", b"%PDF" + b"x" * 100_000))
    assert stack.send(raw) == {}
    payload = stack.wait_emitted([mid])[mid][0]["payload"]
    assert payload["attachments"] == [] and "attachment:too_large:scan.pdf" in payload["defects"]
    stack.events.wait_for("mail_rejected", message_id=mid)
    [rejected] = _events(stack, "mail_rejected", message_id=mid)
    assert rejected["reason"] == "attachment_too_large" and rejected["filenames"] == ["scan.pdf"]
    assert rejected["to"]["email"] == "kari@customer.test" and rejected["case_created"] is True
    [row] = stack.rows(message_id=mid)
    assert row.status == "processed" and "attachment:too_large:scan.pdf" in row.defects


def test_an_auto_reply_with_an_oversized_attachment_gets_no_notice(stack):
    mid = stack.unique("oof-big")
    raw = stack.mail(
        message_id=mid,
        subject="Out of office",
        headers={"Auto-Submitted": "auto-replied"},
        attachment=("big.pdf", b"x" * 100_000),
    )
    assert stack.send(raw) == {}
    payload = stack.wait_emitted([mid])[mid][0]["payload"]
    assert payload["kind"] == "auto_reply"
    assert not _events(stack, "mail_rejected", message_id=mid)


def test_cc_recipients_are_in_the_event_and_bcc_recipients_never(stack):
    mid = stack.unique("cc")
    raw = stack.mail(message_id=mid, headers={"Cc": "Per <per@customer.test>, lise@customer.test"})
    assert stack.send(raw, rcpt=[SUPPORT]) == {}  # another copy went to a BCC address we never see
    payload = stack.wait_emitted([mid])[mid][0]["payload"]
    assert [c["email"] for c in payload["cc"]] == ["per@customer.test", "lise@customer.test"]
    # a BCC copy to us: our address is in no header, only in the envelope; it must not show as a participant
    bcc = stack.unique("bcc")
    raw = stack.mail(message_id=bcc, to="someone-else@customer.test", headers={"Cc": "ola@customer.test"})
    assert stack.send(raw, rcpt=[SUPPORT]) == {}
    payload = stack.wait_emitted([bcc])[bcc][0]["payload"]
    everyone = [a["email"] for a in payload["to"] + payload["cc"]]
    assert SUPPORT not in everyone and everyone == ["someone-else@customer.test", "ola@customer.test"]


def test_a_mail_nothing_can_be_read_from_is_quarantined_and_blocks_nothing(stack):
    # a row whose raw bytes are gone and whose sender nobody knows: there is nothing to answer or show
    with Session(stack.engine) as session:
        box = session.scalar(select(Mailbox).where(Mailbox.address == SUPPORT))
        lost = InboundMail(mailbox_id=box.id, source="smtp", raw_sha256="0" * 64, raw_size=10, subject="")
        session.add(lost)
        session.commit()
        lost_id = lost.id
    after = stack.unique("after-lost")
    assert stack.send(stack.mail(message_id=after)) == {}
    stack.wait_emitted([after])
    [row] = stack.wait_rows(lambda r: r[0].status != "received", id=lost_id)
    assert row.status == "quarantined" and row.failure_reason.startswith("BlobNotFound")
    assert not _events(stack, "mail_received", inbound_mail_id=lost_id)
    assert "inbound_mail_quarantined" in stack.worker.log_path.read_text()


def _case_number_known(stack: Any, number: int) -> bool:
    with Session(stack.engine) as session:
        return session.get(CaseRef, number) is not None


def _wait(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.1)


def test_an_oversized_row_whose_raw_bytes_are_gone_does_not_block_the_queue(stack):
    with Session(stack.engine) as session:
        box = session.scalar(select(Mailbox).where(Mailbox.address == SUPPORT))
        lost = InboundMail(
            mailbox_id=box.id,
            source="imap",
            raw_sha256="1" * 64,
            raw_size=MAX_MESSAGE_BYTES + 1,
            from_email="kari@customer.test",
            subject="huge and lost",
        )
        session.add(lost)
        session.commit()
        lost_id = lost.id
    after = stack.unique("after-huge-lost")
    assert stack.send(stack.mail(message_id=after)) == {}
    stack.wait_emitted([after])
    [row] = stack.wait_rows(lambda r: r[0].status != "received", id=lost_id)
    assert row.status == "failed" and row.failure_reason.startswith("BlobNotFound")
    stack.events.wait_for("mail_received", inbound_mail_id=lost_id)  # degraded, so the customer is not lost


def test_a_mail_nested_two_thousand_levels_deep_is_quarantined_with_its_reason_and_opens_no_case(stack):
    mid = stack.unique("deep")
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(2000))
    closing = b"".join(b"--b%d--\r\n" % i for i in reversed(range(2000)))
    raw = (
        (
            f"From: Kari <kari@customer.test>\r\nTo: {SUPPORT}\r\nSubject: deep\r\nMessage-ID: <{mid}>\r\n"
            "MIME-Version: 1.0\r\n"
        ).encode()
        + opening
        + b"Content-Type: text/plain\r\n\r\nhello\r\n"
        + closing
    )
    assert stack.send(raw) == {}
    after = stack.unique("after-deep")
    assert stack.send(stack.mail(message_id=after)) == {}
    stack.wait_emitted([after])  # rows are processed in order: the deep one is done, and sent nothing

    [row] = stack.wait_rows(lambda r: r[0].status != "received", message_id=mid)
    assert (row.status, row.kind, row.kind_reason) == ("quarantined", None, "nested_too_deep")
    assert row.failure_reason == "MIME parts nested deeper than 50 levels: not read, no case opened"
    assert row.defects == ["structure:too-deep"]
    assert not _events(stack, "mail_received", message_id=mid) and not _events(stack, "mail_rejected", message_id=mid)


def test_an_out_of_office_reply_to_our_mail_is_attached_to_that_case_and_listed_under_it(stack):
    ours = make_message_id(case_id=71, message_id=9, secret=SECRET, domain=MAIL_DOMAIN)
    mid = stack.unique("oof-threaded")
    headers = {"In-Reply-To": f"<{ours}>", "References": f"<{ours}>", "X-Autoreply": "yes"}
    raw = stack.mail(message_id=mid, subject="Automatisk svar: Re: printer", headers=headers)
    assert stack.send(raw) == {}
    payload = stack.wait_emitted([mid])[mid][0]["payload"]
    assert (payload["kind"], payload["thread"]["case_id"]) == ("auto_reply", 71)
    rpc = SyncRpc(stack.amqp_uri)
    try:
        page = rpc.call("mail_gateway", "list_inbound_mail", filters={"case_id": 71, "kind": "auto_reply"})
    finally:
        rpc.close()
    assert [i["message_id"] for i in page["items"]] == [mid]
    assert not _events(stack, "mail_rejected", message_id=mid) and not _events(
        stack, "mail_bounced", inbound_mail_id=payload["inbound_mail_id"]
    )
