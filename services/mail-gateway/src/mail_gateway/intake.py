"""Use cases of the SMTP listener: which mailbox a recipient is, and storing a mail before we say 250."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chassis.blobstore import BlobStore
from chassis.db import unit_of_work
from mail_gateway.db.models import InboundMail, Mailbox
from mail_gateway.domain.addresses import mailbox_key
from mail_gateway.domain.headers import HeaderPeek, peek_headers


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
    incoming = _Incoming(
        sha256=blobs.put(raw),
        size=len(raw),
        peek=peek_headers(raw),
        mail_from=mail_from,
        rcpt_tos=list(rcpt_tos),
        source=source,
    )
    try:
        return _insert_rows(session_factory, incoming, mailbox_ids)
    except IntegrityError:
        # the same mail was being stored concurrently (an MTA retrying on a second connection):
        # the other transaction won, so this second pass finds its rows and stores nothing
        return _insert_rows(session_factory, incoming, mailbox_ids)


@dataclass(frozen=True)
class _Incoming:
    sha256: str
    size: int
    peek: HeaderPeek
    mail_from: str | None
    rcpt_tos: list[str]
    source: str = "smtp"


def _insert_rows(
    session_factory: sessionmaker[Session], incoming: _Incoming, mailbox_ids: Sequence[int]
) -> StoreResult:
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
            row = InboundMail(
                mailbox_id=mailbox_id,
                source=incoming.source,
                mail_from=(incoming.mail_from or "")[:320] or None,
                rcpt_to=incoming.rcpt_tos,
                raw_sha256=incoming.sha256,
                raw_size=incoming.size,
                message_id=message_id,
                from_email=incoming.peek.from_email,
                subject=incoming.peek.subject,
            )
            session.add(row)
            session.flush()
            result.stored.append(row.id)
    return result
