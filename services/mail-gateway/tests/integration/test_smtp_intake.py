"""The SMTP front door: what is accepted, what is refused, and that 250 always means stored."""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import time
from collections.abc import Iterator

import psycopg
import pytest
from conftest import MAX_MESSAGE_BYTES

from chassis.testing import PG_ADMIN_URL
from mail_gateway.smtp import MAILBOX_CACHE_SECONDS


def test_plain_mail_is_stored_raw_and_emitted(stack):
    mid = stack.unique("plain")
    raw = stack.mail(message_id=mid, attachment=("invoice.pdf", b"%PDF-1.4 fake invoice"))

    assert stack.send(raw, rcpt=["support+billing@example.com"]) == {}

    [event] = stack.events.wait_for("mail_received", message_id=mid)
    payload = event["payload"]
    [row] = stack.rows(message_id=mid)
    assert event["source"] == "mail_gateway"
    assert payload["inbound_mail_id"] == row.id
    assert payload["mailbox"] == "support@example.com"
    assert payload["default_group"] == "Support"
    assert payload["from_address"] == {"email": "kari@customer.test", "name": "Kari Nordmann"}
    assert payload["to"] == [{"email": "support@example.com", "name": ""}]
    assert payload["subject"] == "Printer on floor 3 is broken"
    assert "the printer shows error E42." in payload["text_body"]
    assert payload["kind"] == "normal"
    assert payload["thread"] == {"case_id": None, "reason": "new_case"}
    assert payload["defects"] == []
    [attachment] = payload["attachments"]
    assert attachment["filename"] == "invoice.pdf"
    assert attachment["content_type"] == "application/pdf"
    stored_attachment = stack.blob_dir / attachment["sha256"][:2] / attachment["sha256"]
    assert stored_attachment.read_bytes() == b"%PDF-1.4 fake invoice"

    # the raw bytes as received, content-addressed, and the row that describes them
    blob = (stack.blob_dir / row.raw_sha256[:2] / row.raw_sha256).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == row.raw_sha256
    assert row.raw_size == len(blob)
    assert f"Message-ID: <{mid}>".encode() in blob
    assert row.mail_from == "kari@customer.test"
    assert row.rcpt_to == ["support+billing@example.com"]
    assert stack.wait_rows(lambda rows: rows[0].status == "processed", message_id=mid)[0].kind == "normal"


def test_unknown_recipient_is_refused_with_550(stack):
    before = len(stack.rows())
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        stack.send(stack.mail(message_id=stack.unique("unknown")), rcpt=["nobody@example.com"])
    code, text = refused.value.recipients["nobody@example.com"]
    assert code == 550
    assert text.startswith(b"5.1.1")
    assert len(stack.rows()) == before


def test_mail_over_the_hard_cap_is_refused_with_a_clear_552(stack):
    before = len(stack.rows())
    # the hard cap defaults to twice the message limit
    big = stack.mail(message_id=stack.unique("huge"), attachment=("big.pdf", b"A" * (2 * MAX_MESSAGE_BYTES)))

    # a client that announces the size (ESMTP SIZE) is refused at MAIL FROM
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        stack.send(big)
    assert refused.value.smtp_code == 552
    assert f"at most {2 * MAX_MESSAGE_BYTES} bytes".encode() in refused.value.smtp_error

    # a client that does not announce it is refused at the end of DATA
    with stack.smtp_client() as client:
        client.ehlo()
        assert client.mail("kari@customer.test")[0] == 250
        assert client.rcpt("support@example.com")[0] == 250
        code, text = client.data(big)
    assert code == 552 and b"5.3.4 Message too big" in text
    assert len(stack.rows()) == before


def test_mail_over_the_limit_but_under_the_cap_is_recorded_and_the_sender_told(stack):
    mid = stack.unique("big")
    big = stack.mail(message_id=mid, attachment=("big.pdf", b"A" * (MAX_MESSAGE_BYTES + 10_000)))
    assert MAX_MESSAGE_BYTES < len(big) < 2 * MAX_MESSAGE_BYTES

    # without SIZE, so the limit is met at the end of DATA
    with stack.smtp_client() as client:
        client.ehlo()
        assert client.mail("kari@customer.test")[0] == 250
        assert client.rcpt("support@example.com")[0] == 250
        code, text = client.data(big)
    assert code == 250 and b"no case is opened" in text

    [row] = stack.wait_rows(lambda rows: rows and rows[0].status == "rejected", message_id=mid)
    assert row.raw_size == len(big) and row.defects == ["message_too_large"]
    assert row.kind == "normal" and row.from_email == "kari@customer.test"
    blob = (stack.blob_dir / row.raw_sha256[:2] / row.raw_sha256).read_bytes()
    assert blob == big  # the raw mail is kept whole
    [notice] = stack.events.wait_for("mail_rejected", message_id=mid)
    payload = notice["payload"]
    assert payload["reason"] == "message_too_large" and payload["limit_bytes"] == MAX_MESSAGE_BYTES
    assert payload["to"]["email"] == "kari@customer.test" and payload["case_created"] is False
    time.sleep(0.5)
    assert not [
        e for e in stack.events.events if e["event_type"] == "mail_received" and e["payload"].get("message_id") == mid
    ]


def test_an_oversized_auto_reply_is_recorded_without_a_notice(stack):
    mid = stack.unique("big-auto")
    big = stack.mail(
        message_id=mid,
        headers={"Auto-Submitted": "auto-replied"},
        attachment=("big.pdf", b"A" * (MAX_MESSAGE_BYTES + 10_000)),
    )
    assert stack.send(big) == {}  # SIZE announced, under the cap: accepted
    [row] = stack.wait_rows(lambda rows: rows and rows[0].status == "rejected", message_id=mid)
    assert row.kind == "auto_reply" and row.defects == ["message_too_large"]
    time.sleep(0.5)
    assert not [e for e in stack.events.events if e["payload"].get("message_id") == mid]


def test_the_same_mail_twice_makes_one_row_and_one_event(stack):
    mid = stack.unique("twice")
    raw = stack.mail(message_id=mid)
    assert stack.send(raw) == {}
    assert stack.send(raw) == {}
    # a relay that retries may add a trace header: same Message-ID, different bytes, still a duplicate
    assert stack.send(b"Received: from relay.test by mx.test; Sun, 22 Nov 2026 10:00:01 +0100\r\n" + raw) == {}

    stack.events.wait_for("mail_received", message_id=mid)
    time.sleep(1.5)  # give a wrongly created second row time to be processed and emitted
    assert len(stack.rows(message_id=mid)) == 1
    assert len([e for e in stack.events.events if e["payload"].get("message_id") == mid]) == 1


def test_a_mail_for_two_mailboxes_is_stored_once_per_mailbox(stack):
    stack.add_mailbox("sales@example.com", "Sales", "Sales")
    stack.add_mailbox("old@example.com", "Old", "Support", active=False)
    mid = stack.unique("two")
    refused = stack.send(
        stack.mail(message_id=mid), rcpt=["support@example.com", "sales@example.com", "old@example.com"]
    )
    assert refused == {"old@example.com": (550, b"5.1.1 <old@example.com>: no such mailbox here")}
    events = stack.events.wait_for("mail_received", count=2, message_id=mid)
    assert sorted(e["payload"]["mailbox"] for e in events) == ["sales@example.com", "support@example.com"]
    assert sorted(e["payload"]["default_group"] for e in events) == ["Sales", "Support"]
    rows = stack.rows(message_id=mid)
    assert len({r.raw_sha256 for r in rows}) == 1 and len(rows) == 2


@contextlib.contextmanager
def database_outage(db_url: str) -> Iterator[None]:
    """Make the service's database refuse every connection (and drop the open ones) for a while."""
    name = db_url.rsplit("/", 1)[1]
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        yield
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def test_a_database_outage_answers_451_never_250(stack):
    mid_data, mid_rcpt = stack.unique("outage-data"), stack.unique("outage-rcpt")
    raw_data, raw_rcpt = stack.mail(message_id=mid_data), stack.mail(message_id=mid_rcpt)
    stack.engine.dispose()  # the test's own pooled connections are about to be killed
    with stack.smtp_client() as client:
        client.ehlo()
        assert client.mail("kari@customer.test")[0] == 250
        assert client.rcpt("support@example.com")[0] == 250
        with database_outage(stack.db_url):
            # the database went away between RCPT and DATA: the mail cannot be stored
            code, text = client.data(raw_data)
            assert (code, text[:5]) == (451, b"4.3.0")
            # and a new transaction is deferred at RCPT, or (the mailbox was looked up less than
            # MAILBOX_CACHE_SECONDS ago, decision 0130) at the latest at DATA: never a 250 for the mail
            client.rset()
            assert client.mail("kari@customer.test")[0] == 250
            code, text = client.rcpt("support@example.com")
            if code == 250:
                code, text = client.data(raw_rcpt)
            assert (code, text[:5]) == (451, b"4.3.0")
            # once the cached lookup is older than that, RCPT itself asks the database and defers
            time.sleep(MAILBOX_CACHE_SECONDS + 0.2)
            client.rset()
            assert client.mail("kari@customer.test")[0] == 250
            code, text = client.rcpt("support@example.com")
            assert (code, text[:5]) == (451, b"4.3.0")
    # the MTA retries later, and then the mail is stored and processed
    stack.engine.dispose()
    assert stack.send(raw_data) == {}
    assert stack.send(raw_rcpt) == {}
    stack.events.wait_for("mail_received", message_id=mid_data, timeout=30)
    stack.events.wait_for("mail_received", message_id=mid_rcpt, timeout=30)
    assert len(stack.rows(message_id=mid_data)) == 1


def test_250_always_means_stored_even_when_the_smtp_process_dies(stack):
    """An MTA-like sender retries until 250; the SMTP process is killed -9 and restarted meanwhile."""
    message_ids = [stack.unique("crash") for _ in range(40)]
    sender = stack.start_senders(message_ids, threads=1, subject="crash test")
    stack.kill_smtp_when(lambda: len(sender.acked) >= 12)
    acked_before_crash = sender.acked_so_far()
    assert acked_before_crash, "no mail was accepted before the crash"

    # with the listener dead, every mail it said 250 for is already on disk and in the database
    stack.engine.dispose()
    for mid in acked_before_crash:
        [row] = stack.rows(message_id=mid)
        assert (stack.blob_dir / row.raw_sha256[:2] / row.raw_sha256).is_file()

    stack.smtp.start()
    assert sender.join(60)
    assert sorted(sender.acked) == sorted(message_ids)
    assert sender.failed > 0, "the sender never noticed the crash"
    for mid in message_ids:
        assert len(stack.rows(message_id=mid)) == 1
    emitted = stack.wait_emitted(message_ids, timeout=30)
    assert all(len(events) == 1 for events in emitted.values())
