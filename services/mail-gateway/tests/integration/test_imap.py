"""IMAP intake against a real dovecot: polling, batches, mark/move only after storing, verify connection."""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import Any

from conftest import IMAP_PASSWORD, MAX_MESSAGE_BYTES, SECRET, imap_mailbox
from corpus import ZAMMAD, needs
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chassis.testing import free_port, wait_until
from mail_gateway import mailbox_secrets
from mail_gateway.db.models import Mailbox
from mail_gateway.domain.headers import peek_headers

IMAP_USERS = ["support", "sales", "archive", "big", "corpus"]


@needs(ZAMMAD)
def test_polled_mail_is_stored_processed_and_only_then_flagged_seen(stack, imap, rpc):
    corpus_mail = (ZAMMAD / "mail001.box").read_bytes()
    own = stack.unique("imap")
    imap.append("support", corpus_mail)
    imap.append("support", stack.mail(message_id=own, subject="Sent to the IMAP mailbox", sender="Ola <ola@c.test>"))
    saved = rpc.call("mail_gateway", "save_mailbox", data=imap_mailbox(imap, "support"))
    assert saved["imap_password_set"] is True and "imap_password" not in saved

    rows = stack.wait_rows(lambda r: len(r) == 2 and all(x.status != "received" for x in r), mailbox_id=saved["id"])
    assert {r.source for r in rows} == {"imap"}
    assert rows[1].message_id == own and rows[1].subject == "Sent to the IMAP mailbox"
    event = stack.wait_emitted([own])[own][0]["payload"]
    assert event["mailbox"] == "support-imap@example.com" and event["default_group"] == "Support"
    assert event["from_address"]["email"] == "ola@c.test"
    flags = wait_until(
        lambda: (f := imap.flags("support")) and all("\\Seen" in v for v in f.values()) and f, what="seen"
    )
    assert sorted(flags) == [1, 2]
    box = wait_until(
        lambda: next((b for b in rpc.call("mail_gateway", "list_mailboxes") if b["id"] == saved["id"]), None)
    )
    assert box["imap_last_uid"] == 2 and box["imap_last_error"] is None
    # the password is encrypted at rest (decision 0087), and polling logged in with it all the same
    with Session(stack.engine) as session:
        stored = session.scalar(select(Mailbox.imap_password).where(Mailbox.id == saved["id"]))
    assert stored and stored.startswith("fernet:") and IMAP_PASSWORD not in stored
    assert mailbox_secrets.decrypt(stored, secret=SECRET) == IMAP_PASSWORD


def test_a_large_mailbox_is_fetched_in_batches_and_nothing_is_stored_twice(stack, imap, rpc):
    ids = [stack.unique("batch") for _ in range(11)]
    for mid in ids:
        imap.append("sales", stack.mail(message_id=mid, subject=f"Batch {mid[:12]}"))
    saved = rpc.call("mail_gateway", "save_mailbox", data=imap_mailbox(imap, "sales"))
    found = stack.wait_emitted(ids, timeout=40)
    assert all(len(events) == 1 for events in found.values())
    rows = stack.wait_rows(lambda r: len(r) == 11, mailbox_id=saved["id"])
    assert [r.message_id for r in rows] == ids  # oldest first, batch after batch

    # a crash after storing but before remembering the UID: the next poll fetches them all again
    with Session(stack.engine) as session:
        session.execute(update(Mailbox).where(Mailbox.id == saved["id"]).values(imap_last_uid=0))
        session.commit()
    imap.set_unseen("sales")
    wait_until(lambda: all("\\Seen" in v for v in imap.flags("sales").values()), what="re-polled and re-flagged")
    time.sleep(1.0)
    assert len(stack.rows(mailbox_id=saved["id"])) == 11  # recognised as already stored


def test_with_move_to_the_mail_leaves_the_folder_after_it_is_stored(stack, imap, rpc):
    imap.create_folder("archive", "Processed")
    mid = stack.unique("move")
    imap.append("archive", stack.mail(message_id=mid))
    saved = rpc.call("mail_gateway", "save_mailbox", data=imap_mailbox(imap, "archive", imap_move_to="Processed"))
    stack.wait_emitted([mid])
    wait_until(lambda: not imap.flags("archive"), what="INBOX emptied")
    assert len(imap.flags("archive", "Processed")) == 1
    [row] = stack.rows(mailbox_id=saved["id"])
    assert row.message_id == mid


def test_verify_connection_reports_a_clear_reason(stack, imap, rpc):
    saved = rpc.call("mail_gateway", "save_mailbox", data=imap_mailbox(imap, "support", active=False))
    ok = rpc.call("mail_gateway", "verify_mailbox_connection", mailbox_id=saved["id"])
    assert ok["ok"] is True and ok["step"] == "done" and ok["messages"] == len(imap.flags("support"))

    def check(**changes: Any) -> dict[str, Any]:
        data = {**imap_mailbox(imap, "support"), **changes}
        return rpc.call("mail_gateway", "verify_mailbox_connection", data=data)

    wrong_password = check(imap_password="nope")
    assert (wrong_password["ok"], wrong_password["step"]) == (False, "login")
    assert "user name or password" in wrong_password["reason"] and "nope" not in wrong_password["reason"]
    refused = check(imap_port=free_port())
    assert refused["step"] == "connect" and "refused the connection" in refused["reason"]
    missing = check(imap_folder="No Such Folder")
    assert missing["step"] == "select" and "No Such Folder" in missing["reason"]
    untrusted = check(imap_port=imap.tls_port, imap_security="ssl")
    assert untrusted["step"] == "tls" and "CERTIFICATE_VERIFY_FAILED" in untrusted["reason"].upper()
    starttls = check(imap_security="starttls")
    assert starttls["step"] == "tls" and "STARTTLS failed" in starttls["reason"]
    unknown_host = check(imap_host="imap.invalid")
    assert unknown_host["step"] == "connect" and "does not resolve" in unknown_host["reason"]
    # the stored password is used when a form is verified without re-typing it
    kept = rpc.call(
        "mail_gateway",
        "verify_mailbox_connection",
        mailbox_id=saved["id"],
        data={**imap_mailbox(imap, "support"), "imap_password": None},
    )
    assert kept["ok"] is True


def test_a_failing_mailbox_records_the_error_and_the_password_is_never_logged(stack, imap, rpc):
    data = imap_mailbox(imap, "support", address="broken-imap@example.com", imap_port=free_port())
    saved = rpc.call("mail_gateway", "save_mailbox", data=data)

    def failed() -> dict[str, Any] | None:
        boxes = rpc.call("mail_gateway", "list_mailboxes")
        return next((b for b in boxes if b["id"] == saved["id"] and b["imap_last_error"]), None)

    box = wait_until(failed, what="error recorded")
    assert box["imap_last_error"].startswith("connect:")
    for log in Path(stack.worker.log_path).parent.glob("*.log"):
        assert IMAP_PASSWORD not in log.read_text(errors="replace")


def test_an_oversized_mail_is_recorded_without_a_case_and_only_a_person_gets_the_notice(stack, imap, rpc):
    person, robot = stack.unique("huge"), stack.unique("huge-oof")
    imap.append("big", stack.mail(message_id=person, attachment=("video.pdf", b"v" * (MAX_MESSAGE_BYTES + 1))))
    robot_mail = stack.mail(
        message_id=robot,
        subject="Automatic reply: away",
        headers={"Auto-Submitted": "auto-replied"},
        attachment=("video.pdf", b"v" * (MAX_MESSAGE_BYTES + 1)),
    )
    imap.append("big", robot_mail)
    saved = rpc.call("mail_gateway", "save_mailbox", data=imap_mailbox(imap, "big"))
    rows = stack.wait_rows(lambda r: len(r) == 2 and all(x.status != "received" for x in r), mailbox_id=saved["id"])
    assert [r.status for r in rows] == ["rejected", "rejected"]
    assert [r.kind for r in rows] == ["normal", "auto_reply"]
    stack.events.wait_for("mail_rejected", message_id=person)
    [notice] = [
        e["payload"]
        for e in stack.events.events
        if e["event_type"] == "mail_rejected" and e["payload"]["message_id"] == person
    ]
    assert notice["reason"] == "message_too_large" and notice["limit_bytes"] == MAX_MESSAGE_BYTES
    assert notice["to"]["email"] == "kari@customer.test" and notice["case_created"] is False
    time.sleep(0.5)
    kinds = {(e["event_type"], e["payload"].get("message_id")) for e in stack.events.events}
    assert ("mail_rejected", robot) not in kinds
    assert ("mail_received", person) not in kinds and ("mail_received", robot) not in kinds


# Zammad keeps only the local part of an encoded-word address / unquotes a quoted one; we keep the literal
# addr-spec (RFC 2047 forbids encoded words there), so these three senders read differently on purpose
_SENDER_DIFFERS = {"mail076.box", "mail117.box", "mail118.box"}


@needs(ZAMMAD, "*.box")
def test_the_whole_real_world_corpus_through_imap_becomes_one_event_per_distinct_mail(stack, imap, rpc):
    boxes = sorted(ZAMMAD.glob("*.box"))
    for box in boxes:
        imap.append("corpus", box.read_bytes())
    saved = rpc.call("mail_gateway", "save_mailbox", data=imap_mailbox(imap, "corpus"))
    # the corpus repeats some Message-IDs: per mailbox, a repeated Message-ID is the same mail (0020)
    expected_rows = len({peek_headers(b.read_bytes()).message_id or b.name for b in boxes})
    rows = stack.wait_rows(
        lambda r: len(r) == expected_rows and all(x.status != "received" for x in r),
        timeout=120,
        mailbox_id=saved["id"],
    )
    wait_until(lambda: all("\\Seen" in v for v in imap.flags("corpus").values()), what="all flagged")
    assert len(imap.flags("corpus")) == len(boxes)
    # over the test's 256 KiB message limit: recorded as rejected, no mail_received (0027)
    rejected = [r for r in rows if r.status == "rejected"]
    assert all(r.raw_size > MAX_MESSAGE_BYTES for r in rejected)
    readable = [r.id for r in rows if r.status in ("processed", "failed")]
    assert len(readable) + len(rejected) == len(rows)
    events = {}
    for _ in range(100):
        events = {
            e["payload"]["inbound_mail_id"]: e
            for e in stack.events.events
            if e["event_type"] == "mail_received" and e["payload"]["mailbox"] == "corpus-imap@example.com"
        }
        if len(events) == len(readable):
            break
        with contextlib.suppress(TimeoutError):  # drains the collector's queue meanwhile
            stack.events.wait_for("mail_received", count=10**9, timeout=0.3)
    assert sorted(events) == readable
    # IMAP servers may normalise line endings, so mails are matched by Message-ID (the first file wins)
    by_id = {r.message_id: r for r in rows if r.message_id}
    checked, seen = 0, set()
    for box in boxes:
        mid = peek_headers(box.read_bytes()).message_id
        expected = _yml_field(box.with_suffix(".yml"), "from_email")
        row = by_id.get(mid) if mid and mid not in seen else None
        seen.add(mid)
        if row is None or row.id not in events or expected is None or box.name in _SENDER_DIFFERS:
            continue
        assert events[row.id]["payload"]["from_address"]["email"] == expected.lower(), box.name
        checked += 1
    assert checked > 70
    assert by_id["20150830145606.9246B20C3E96@mx1.zammad.com"].kind == "bounce"


def _yml_field(path: Path, name: str) -> str | None:
    if not path.exists():
        return None
    match = re.search(rf"^{name}: (.*)$", path.read_text(errors="replace"), re.M)
    return match.group(1).strip().strip("'\"") if match else None
