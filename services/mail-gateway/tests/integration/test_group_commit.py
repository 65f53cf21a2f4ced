"""Group commit of the SMTP listener (decision 0130): concurrent mails share one transaction, 250 = committed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chassis.blobstore import BlobStore
from chassis.db import make_engine, make_sessionmaker
from mail_gateway import smtp as smtp_module
from mail_gateway.db.models import STATUS_PROCESSED, STATUS_RECEIVED, InboundMail, Mailbox
from mail_gateway.intake import Incoming, StoreResult, prepare_mail, store_batch
from mail_gateway.smtp import GroupCommitter


@pytest.fixture
def factory(stack: Any) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(stack.db_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the transactions the committer ran (a spy around the real store_batch)."""
    sizes: list[int] = []

    def spy(session_factory: Any, batch: Sequence[tuple[Incoming, Sequence[int]]]) -> Any:
        sizes.append(len(batch))
        return store_batch(session_factory, batch)

    monkeypatch.setattr(smtp_module, "store_batch", spy)
    return sizes


def support_id(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        mailbox_id = session.scalar(select(Mailbox.id).where(Mailbox.address == "support@example.com"))
    assert mailbox_id is not None
    return mailbox_id


def prepared(stack: Any, tmp_path: Path, raw: bytes) -> Incoming:
    return prepare_mail(
        blobs=BlobStore(stack.blob_dir), raw=raw, mail_from="kari@customer.test", rcpt_tos=[stack.support]
    )


def commit_together(
    factory: sessionmaker[Session], items: list[tuple[Incoming, list[int]]]
) -> list[StoreResult | BaseException]:
    """Hand every item to one committer at the same moment, as concurrent DATA commands do."""

    async def run() -> list[StoreResult | BaseException]:
        with ThreadPoolExecutor(2) as executor:
            committer = GroupCommitter(session_factory=factory, executor=executor)
            return await asyncio.gather(*(committer.store(i, ids) for i, ids in items), return_exceptions=True)

    return asyncio.run(run())


def test_concurrent_mails_share_one_transaction_and_each_gets_its_row(stack, factory, batches, tmp_path):
    support = support_id(factory)
    mids = [stack.unique("group") for _ in range(6)]
    items = [(prepared(stack, tmp_path, stack.mail(message_id=m)), [support]) for m in mids]
    results = commit_together(factory, items)
    assert batches == [6]
    assert all(isinstance(r, StoreResult) and len(r.stored) == 1 and not r.duplicates for r in results)
    for mid, result in zip(mids, results, strict=True):
        [row] = stack.rows(message_id=mid)
        assert isinstance(result, StoreResult) and result.stored == [row.id]
        # the stack's worker may already have processed the stored row; a well-formed mail never fails or is rejected
        assert row.status in {STATUS_RECEIVED, STATUS_PROCESSED} and row.mailbox_id == support


def test_a_failing_mail_in_the_group_fails_alone(stack, factory, batches, tmp_path):
    support = support_id(factory)
    mids = [stack.unique("fail-group") for _ in range(4)]
    items = [(prepared(stack, tmp_path, stack.mail(message_id=m)), [support]) for m in mids]
    items[2] = (items[2][0], [support, 987654])  # a mailbox that does not exist: its row breaks the foreign key
    results = commit_together(factory, items)
    assert batches == [4]  # tried together, then each alone
    assert isinstance(results[2], IntegrityError)
    assert stack.rows(message_id=mids[2]) == []  # nothing half-stored for the failed mail (its 451 is honest)
    for index in (0, 1, 3):
        [row] = stack.rows(message_id=mids[index])
        result = results[index]
        assert isinstance(result, StoreResult) and result.stored == [row.id]


def test_duplicate_delivery_during_a_batch_makes_one_row(stack, factory, batches, tmp_path):
    support = support_id(factory)
    mid = stack.unique("dup-group")
    raw = stack.mail(message_id=mid)
    relayed = b"Received: from relay.test by mx.test; Sun, 22 Nov 2026 10:00:01 +0100\r\n" + raw
    other = stack.unique("dup-other")
    items = [
        (prepared(stack, tmp_path, raw), [support]),
        (prepared(stack, tmp_path, raw), [support]),  # the same bytes on a second connection
        (prepared(stack, tmp_path, relayed), [support]),  # same Message-ID, other bytes
        (prepared(stack, tmp_path, stack.mail(message_id=other)), [support]),
    ]
    results = commit_together(factory, items)
    assert batches == [4]
    [row] = stack.rows(message_id=mid)
    assert results[0] == StoreResult(stored=[row.id])
    assert results[1] == StoreResult(duplicates=[row.id]) and results[2] == StoreResult(duplicates=[row.id])
    [other_row] = stack.rows(message_id=other)
    assert results[3] == StoreResult(stored=[other_row.id])
    # and again later, against the committed rows: all duplicates, nothing new
    again = commit_together(factory, items)
    assert again == [StoreResult(duplicates=[row.id])] * 3 + [StoreResult(duplicates=[other_row.id])]
    assert len(stack.rows(message_id=mid)) == 1


def test_a_mail_stored_by_another_transaction_meanwhile_is_a_duplicate(stack, factory, tmp_path):
    """The row appears between the batch's duplicate check and its INSERT: the unique index decides."""
    support = support_id(factory)
    mid, fresh = stack.unique("race"), stack.unique("race-fresh")
    raced = prepared(stack, tmp_path, stack.mail(message_id=mid))
    batch = [(raced, [support]), (prepared(stack, tmp_path, stack.mail(message_id=fresh)), [support])]
    engine = factory.kw["bind"]
    other = make_engine(stack.db_url)

    def race(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INBOUND_MAIL"):
            event.remove(engine, "before_cursor_execute", race)
            with other.begin() as other_conn:  # another SMTP connection commits the same mail first
                other_conn.execute(insert(InboundMail), [raced.row(support)])

    event.listen(engine, "before_cursor_execute", race)
    try:
        results = store_batch(factory, batch)
    finally:
        other.dispose()
    [winner] = stack.rows(message_id=mid)
    [fresh_row] = stack.rows(message_id=fresh)
    assert results == [StoreResult(duplicates=[winner.id]), StoreResult(stored=[fresh_row.id])]


def test_many_connections_at_once_all_get_250_and_one_row_each(stack):
    mids = [stack.unique("conc") for _ in range(40)]
    dup = stack.unique("conc-dup")
    answers: list[int] = []
    lock = threading.Lock()

    def connection(chunk: list[str]) -> None:
        with stack.smtp_client() as client:
            for mid in chunk:
                refused = client.sendmail("kari@customer.test", [stack.support], stack.mail(message_id=mid))
                with lock:
                    answers.append(len(refused))
            client.sendmail("kari@customer.test", [stack.support], stack.mail(message_id=dup, subject="same"))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(connection, [mids[i::8] for i in range(8)]))
    assert answers == [0] * 40  # no refused recipient anywhere
    for mid in mids:
        assert len(stack.rows(message_id=mid)) == 1
    assert len(stack.rows(message_id=dup)) == 1
    emitted = stack.wait_emitted([*mids, dup], timeout=60)
    assert all(len(events) == 1 for events in emitted.values())


def test_250_means_committed_with_concurrent_senders_when_the_smtp_process_dies(stack):
    """Four MTA-like senders retry until 250; the listener is killed -9 mid-stream and restarted."""
    message_ids = [stack.unique("group-crash") for _ in range(80)]
    senders = stack.start_senders(message_ids, threads=4, subject="group crash")
    stack.kill_smtp_when(lambda: len(senders.acked) >= 20)
    acked_before_crash = senders.acked_so_far()
    assert acked_before_crash, "no mail was accepted before the crash"
    stack.engine.dispose()
    for mid in acked_before_crash:
        [row] = stack.rows(message_id=mid)
        assert (stack.blob_dir / row.raw_sha256[:2] / row.raw_sha256).is_file()

    stack.smtp.start()
    assert senders.join(90)
    assert sorted(senders.acked) == sorted(message_ids)
    assert senders.failed > 0, "no sender noticed the crash"
    for mid in message_ids:
        assert len(stack.rows(message_id=mid)) == 1
    emitted = stack.wait_emitted(message_ids, timeout=60)
    assert all(len(events) == 1 for events in emitted.values())


def test_a_deactivated_mailbox_refuses_mail_once_its_cached_lookup_expires(stack):
    """RCPT remembers an active mailbox for MAILBOX_CACHE_SECONDS; unknown addresses are never remembered."""
    stack.add_mailbox("billing@example.com", "Billing", "Billing")
    with stack.smtp_client() as client:
        client.ehlo()
        assert client.mail("kari@customer.test")[0] == 250
        assert client.rcpt("billing@example.com")[0] == 250  # looked up, now remembered
        client.rset()
        with stack.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE mailbox SET active = false WHERE address = 'billing@example.com'")
        time.sleep(smtp_module.MAILBOX_CACHE_SECONDS + 0.2)
        assert client.mail("kari@customer.test")[0] == 250
        assert client.rcpt("billing@example.com")[0] == 550
        # and a mailbox created a moment after a refused attempt takes mail at once
        client.rset()
        assert client.mail("kari@customer.test")[0] == 250
        assert client.rcpt("legal@example.com")[0] == 550
        stack.add_mailbox("legal@example.com", "Legal", "Legal")
        client.rset()
        assert client.mail("kari@customer.test")[0] == 250
        assert client.rcpt("legal@example.com")[0] == 250
