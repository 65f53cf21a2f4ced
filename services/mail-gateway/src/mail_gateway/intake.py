"""Use cases of the SMTP listener: which mailbox a recipient is, and storing a mail before we say 250."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chassis.blobstore import BlobStore
from chassis.db import unit_of_work
from chassis.logging import get_logger
from mail_gateway.db.models import InboundMail, Mailbox
from mail_gateway.domain.addresses import mailbox_key
from mail_gateway.domain.headers import HeaderPeek, peek_headers
from mail_gateway.spool import DataSpool

log = get_logger(__name__)


@dataclass
class StoreResult:
    stored: list[int] = field(default_factory=list)  # new inbound_mail ids
    duplicates: list[int] = field(default_factory=list)  # ids of rows the same mail already has


def find_active_mailbox(*, session_factory: sessionmaker[Session], address: str) -> int | None:
    """The id of the active mailbox a recipient address (plus-addresses included) maps to."""
    with session_factory() as session:
        return session.scalar(
            select(Mailbox.id).where(Mailbox.address == mailbox_key(address), Mailbox.active.is_(True))
        )


def store_mail(
    *,
    session_factory: sessionmaker[Session],
    blobs: BlobStore,
    raw: bytes,
    mailbox_ids: Sequence[int],
    mail_from: str | None,
    rcpt_tos: Sequence[str],
    source: str = "smtp",
) -> StoreResult:
    """Write the raw bytes durably, then one `received` row per mailbox, committed; idempotent.

    A mail already stored for a mailbox (same raw hash, or same Message-ID) is not stored again.
    """
    incoming = prepare_mail(blobs=blobs, raw=raw, mail_from=mail_from, rcpt_tos=rcpt_tos, source=source)
    return store_prepared(session_factory, incoming, mailbox_ids)


def prepare_mail(
    *, blobs: BlobStore, raw: bytes, mail_from: str | None, rcpt_tos: Sequence[str], source: str = "smtp"
) -> Incoming:
    """The durable half of storing a mail: raw bytes on disk (fsynced), headers peeked; no database."""
    return Incoming(
        sha256=blobs.put(raw),
        size=len(raw),
        peek=peek_headers(raw),
        mail_from=mail_from,
        rcpt_tos=list(rcpt_tos),
        source=source,
    )


def prepare_spooled(
    *, spool: DataSpool, mail_from: str | None, rcpt_tos: Sequence[str], source: str = "smtp"
) -> Incoming:
    """`prepare_mail` for a mail streamed to the blob store as it arrived (SMTP, decision 0166)."""
    return Incoming(
        sha256=spool.commit(),
        size=spool.size,
        peek=peek_headers(bytes(spool.head)),
        mail_from=mail_from,
        rcpt_tos=list(rcpt_tos),
        source=source,
    )


def store_prepared(
    session_factory: sessionmaker[Session], incoming: Incoming, mailbox_ids: Sequence[int]
) -> StoreResult:
    """The rows of one prepared mail, in a transaction of its own (idempotent)."""
    try:
        return _insert_rows(session_factory, incoming, mailbox_ids)
    except IntegrityError:
        # the same mail was being stored concurrently (an MTA retrying on a second connection):
        # the other transaction won, so this second pass finds its rows and stores nothing
        return _insert_rows(session_factory, incoming, mailbox_ids)


@dataclass(frozen=True)
class Incoming:
    """A mail whose raw bytes are already durable, waiting for its `inbound_mail` rows."""

    sha256: str
    size: int
    peek: HeaderPeek
    mail_from: str | None
    rcpt_tos: list[str]
    source: str = "smtp"

    def row(self, mailbox_id: int) -> dict[str, Any]:
        """The column values of its row for one mailbox."""
        return {
            "mailbox_id": mailbox_id,
            "source": self.source,
            "mail_from": (self.mail_from or "")[:320] or None,
            "rcpt_to": self.rcpt_tos,
            "raw_sha256": self.sha256,
            "raw_size": self.size,
            "message_id": self.peek.message_id,
            "from_email": self.peek.from_email,
            "subject": self.peek.subject,
        }


def _insert_rows(session_factory: sessionmaker[Session], incoming: Incoming, mailbox_ids: Sequence[int]) -> StoreResult:
    result = StoreResult()
    message_id = incoming.peek.message_id
    with unit_of_work(session_factory) as session:
        for mailbox_id in dict.fromkeys(mailbox_ids):
            same_mail = InboundMail.raw_sha256 == incoming.sha256
            if message_id is not None:
                same_mail = or_(same_mail, InboundMail.message_id == message_id)
            existing = session.scalar(
                select(InboundMail.id).where(InboundMail.mailbox_id == mailbox_id, same_mail).limit(1)
            )
            if existing is not None:
                result.duplicates.append(existing)
                continue
            row = InboundMail(**incoming.row(mailbox_id))
            session.add(row)
            session.flush()
            result.stored.append(row.id)
    return result


def store_batch(
    session_factory: sessionmaker[Session], batch: Sequence[tuple[Incoming, Sequence[int]]]
) -> list[StoreResult | Exception]:
    """The rows of several prepared mails in ONE transaction (group commit, decision 0130).

    Returns one result per mail, in order. Duplicates are found with one query, including duplicates
    inside the batch (the same mail on two connections at once). If the shared transaction fails
    (a concurrent duplicate, one bad row), it is rolled back and every mail is stored on its own, so
    a failing mail fails alone: its entry is the exception, the others' are their results.
    """
    if not batch:
        return []
    try:
        return list(_insert_batch(session_factory, batch))
    except Exception as exc:  # each mail is retried alone; its own error is reported
        if len(batch) == 1:
            return [_store_alone(session_factory, batch[0])]
        log_reason = f"{type(exc).__name__}: {exc}"[:300]
        log.info("smtp_group_commit_fallback", mails=len(batch), error=log_reason)
    return [_store_alone(session_factory, item) for item in batch]


def _store_alone(
    session_factory: sessionmaker[Session], item: tuple[Incoming, Sequence[int]]
) -> StoreResult | Exception:
    try:
        return store_prepared(session_factory, item[0], item[1])
    except Exception as exc:  # reported to this mail's SMTP session (451)
        return exc


def _insert_batch(
    session_factory: sessionmaker[Session], batch: Sequence[tuple[Incoming, Sequence[int]]]
) -> list[StoreResult]:
    mailbox_set = {m for _, ids in batch for m in ids}
    hashes = {incoming.sha256 for incoming, _ in batch}
    mids = {incoming.peek.message_id for incoming, _ in batch} - {None}
    results = [StoreResult() for _ in batch]
    with unit_of_work(session_factory) as session:
        same_mail: ColumnElement[bool] = InboundMail.raw_sha256.in_(hashes)
        if mids:
            same_mail = or_(same_mail, InboundMail.message_id.in_(mids))
        known: dict[tuple[int, str, str], int] = {}
        for row_id, mailbox_id, sha256, message_id in session.execute(
            select(InboundMail.id, InboundMail.mailbox_id, InboundMail.raw_sha256, InboundMail.message_id)
            .where(InboundMail.mailbox_id.in_(mailbox_set), same_mail)
            .order_by(InboundMail.id)
        ):
            known.setdefault((mailbox_id, "sha", sha256), row_id)
            if message_id is not None:
                known.setdefault((mailbox_id, "mid", message_id), row_id)
        # rows to insert, and for an in-batch duplicate the index of the row it repeats
        new_rows: list[dict[str, Any]] = []
        placement: list[tuple[int, bool, int]] = []  # (mail index, is new row, row index or existing id)
        pending: dict[tuple[int, str, str], int] = {}
        for index, (incoming, mailbox_ids) in enumerate(batch):
            for mailbox_id in dict.fromkeys(mailbox_ids):
                keys = [(mailbox_id, "sha", incoming.sha256)]
                if incoming.peek.message_id is not None:
                    keys.append((mailbox_id, "mid", incoming.peek.message_id))
                existing = next((known[k] for k in keys if k in known), None)
                if existing is not None:
                    placement.append((index, False, existing))
                    continue
                repeated = next((pending[k] for k in keys if k in pending), None)
                if repeated is not None:
                    placement.append((index, True, repeated))
                    continue
                for key in keys:
                    pending[key] = len(new_rows)
                placement.append((index, True, len(new_rows)))
                new_rows.append(incoming.row(mailbox_id))
        ids: list[int] = []
        if new_rows:
            ids = list(
                session.scalars(
                    insert(InboundMail).returning(InboundMail.id, sort_by_parameter_order=True), new_rows
                ).all()
            )
        first_mail_of_row: dict[int, int] = {}
        for index, is_new, ref in placement:
            if not is_new:
                results[index].duplicates.append(ref)
            elif first_mail_of_row.setdefault(ref, index) == index:
                results[index].stored.append(ids[ref])
            else:
                results[index].duplicates.append(ids[ref])
    return results
