"""The worker dies (kill -9) with a backlog of stored mail: after a restart each mail is emitted exactly once."""

from __future__ import annotations

import collections
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.testing import ServiceProcess
from mail_gateway.db.models import OutboxMessage


def test_kill_9_of_the_worker_loses_nothing_and_duplicates_nothing(stack, tmp_path):
    stack.worker.kill()  # mails now queue up as stored `received` rows
    message_ids = [stack.unique("backlog") for _ in range(60)]
    for mid in message_ids:
        assert stack.send(stack.mail(message_id=mid, subject=f"backlog {mid}")) == {}
    rows = stack.rows()
    assert {r.message_id for r in rows if r.status == "received"} >= set(message_ids)

    # one stored mail lost its raw file: it must still be emitted, flagged, and not block the rest
    [broken] = stack.rows(message_id=message_ids[10])
    (stack.blob_dir / broken.raw_sha256[:2] / broken.raw_sha256).unlink()

    # a slow worker (2 mails a tick) that is killed -9 as soon as it has emitted its first event
    slow = ServiceProcess("mail_gateway", "worker", {**stack.env, "MAIL_GATEWAY_BATCH_SIZE": "2"}, None, tmp_path)
    slow.start()
    try:
        stack.events.wait_for("mail_received", timeout=30, message_id=message_ids[0])
    finally:
        slow.kill()
    still_queued = [r for r in stack.rows() if r.status == "received" and r.message_id in message_ids]
    assert still_queued, "the worker finished before it was killed; the test proves nothing"

    stack.worker.start()
    emitted = stack.wait_emitted(message_ids, timeout=60)
    time.sleep(1.0)  # room for a late duplicate to show up
    emitted = stack.wait_emitted(message_ids, timeout=1)

    by_inbound_id: dict[int, set[str]] = collections.defaultdict(set)
    for events in emitted.values():
        for event in events:
            by_inbound_id[event["payload"]["inbound_mail_id"]].add(event["event_id"])
    rows = {r.message_id: r for r in stack.rows() if r.message_id in message_ids}
    assert sorted(by_inbound_id) == sorted(r.id for r in rows.values())
    # exactly one event per mail (the outbox may redeliver the same event_id; consumers dedupe on it)
    assert all(len(event_ids) == 1 for event_ids in by_inbound_id.values())
    with Session(stack.engine) as session:
        outbox = session.scalars(select(OutboxMessage).where(OutboxMessage.event_type == "mail_received")).all()
    per_mail = collections.Counter(o.envelope["payload"]["inbound_mail_id"] for o in outbox)
    assert all(per_mail[r.id] == 1 for r in rows.values())

    assert all(r.status == "processed" for mid, r in rows.items() if mid != message_ids[10])
    broken = rows[message_ids[10]]
    assert broken.status == "failed" and "BlobNotFound" in (broken.failure_reason or "")
    [broken_event] = emitted[message_ids[10]]
    assert broken_event["payload"]["defects"] == ["processing:BlobNotFound"]
    assert broken_event["payload"]["subject"] == f"backlog {message_ids[10]}"
    assert broken_event["payload"]["from_address"]["email"] == "kari@customer.test"
