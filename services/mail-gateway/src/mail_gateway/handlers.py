"""Use cases of the worker: process stored mail into `mail_received`, learn cases, list inbound mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from chassis.db import utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.cases import AttachmentRef, CaseCreated, MessageAdded
from contracts.envelope import Envelope
from contracts.mail_gateway import InboundMailFilter, InboundMailPage, InboundMailRead, MailReceived
from mail_gateway.blobstore import BlobStore
from mail_gateway.db.models import STATUS_FAILED, STATUS_PROCESSED, STATUS_RECEIVED, InboundMail, Mailbox
from mail_gateway.domain.mail_event import degraded_mail_received, mail_received
from mail_gateway.domain.thread_decision import decide_thread, thread_candidates
from mail_gateway.mail.classify import classify
from mail_gateway.mail.parse import parse_message
from mail_gateway.metrics import INBOUND_PROCESSED
from mail_gateway.settings import MailGatewaySettings

log = get_logger(__name__)


def process_pending(*, runtime: Runtime, blobs: BlobStore, limit: int) -> int:
    """Process up to `limit` received mails, oldest first, one transaction each; returns how many."""
    done = 0
    while done < limit:
        with runtime.transaction() as session:
            row = session.scalars(
                select(InboundMail)
                .where(InboundMail.status == STATUS_RECEIVED)
                .order_by(InboundMail.id)
                .limit(1)
                # competing workers each take a different row instead of waiting on each other
                .with_for_update(skip_locked=True, of=InboundMail)
            ).first()
            if row is None:
                return done
            event = _process_row(session, row, runtime, blobs)
            runtime.emit(session, event)
        INBOUND_PROCESSED.labels(row.kind or "unknown", row.status).inc()
        log.info(
            "inbound_mail_processed",
            inbound_mail_id=row.id,
            status=row.status,
            kind=row.kind,
            thread=row.thread_reason,
            case_id=row.thread_case_id,
        )
        done += 1
    return done


def _process_row(session: Session, row: InboundMail, runtime: Runtime, blobs: BlobStore) -> MailReceived:
    """Parse, store attachments, classify, thread; on a content failure, a degraded event (never a retry loop)."""
    try:
        event = _read_mail(session, row, runtime, blobs)
    except SQLAlchemyError:
        raise  # the database is down: leave the row `received`, the next tick retries it
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        log.error("inbound_mail_unreadable", inbound_mail_id=row.id, error=reason)
        event = degraded_mail_received(
            inbound_mail_id=row.id,
            mailbox=row.mailbox.address,
            default_group=row.mailbox.default_group,
            message_id=row.message_id,
            from_email=row.from_email or row.mail_from,
            subject=row.subject,
            defects=[f"processing:{type(exc).__name__}"],
        )
        row.status, row.failure_reason = STATUS_FAILED, reason
    else:
        row.status = STATUS_FAILED if _parse_failed(event.defects) else STATUS_PROCESSED
        row.failure_reason = "; ".join(d for d in event.defects if d.startswith("parse:")) or None
    row.kind, row.kind_reason = event.kind.value, event.kind_reason
    row.thread_case_id, row.thread_reason = event.thread.case_id, event.thread.reason
    row.in_reply_to, row.references = event.in_reply_to, event.references
    row.attachments = [a.model_dump(mode="json") for a in event.attachments]
    row.defects = event.defects
    row.processed_at = utcnow()
    return event


def _parse_failed(defects: list[str]) -> bool:
    """The parser gave up on the MIME structure and fell back to the raw header block."""
    return any(d.startswith("parse:") for d in defects)


def _read_mail(session: Session, row: InboundMail, runtime: Runtime, blobs: BlobStore) -> MailReceived:
    settings: MailGatewaySettings = runtime.settings
    parsed = parse_message(blobs.get(row.raw_sha256))
    attachments = [
        AttachmentRef(
            filename=a.filename,
            content_type=a.content_type,
            size=len(a.data),
            sha256=blobs.put(a.data),
            content_id=a.content_id,
            inline=a.inline,
        )
        for a in parsed.attachments
    ]
    own_addresses = session.scalars(select(Mailbox.address)).all()
    candidates = thread_candidates(parsed.in_reply_to, parsed.references)
    return mail_received(
        inbound_mail_id=row.id,
        mailbox=row.mailbox.address,
        default_group=row.mailbox.default_group,
        message_id=row.message_id,
        parsed=parsed,
        classification=classify(parsed, own_addresses),
        thread=decide_thread(
            candidates=candidates, secret=settings.secret_key, known_cases=_known_cases(session, candidates)
        ),
        attachments=attachments,
        envelope_sender=row.mail_from,
        max_body_chars=settings.max_body_chars,
    )


def _known_cases(session: Session, message_ids: list[str]) -> dict[str, int]:
    """Customer Message-IDs among `message_ids` whose mail we know became part of a case."""
    if not message_ids:
        return {}
    rows = session.execute(
        select(InboundMail.message_id, InboundMail.case_id)
        .where(InboundMail.message_id.in_(message_ids), InboundMail.case_id.is_not(None))
        .order_by(InboundMail.id.desc())
    ).all()
    known: dict[str, int] = {}
    for message_id, case_id in rows:
        if message_id is not None and case_id is not None:
            known.setdefault(message_id, case_id)
    return known


def learn_case_of_message(*, session: Session, envelope: Envelope) -> int:
    """Remember which case a customer's mail became part of (from `message_added` / `case_created`)."""
    if envelope.event_type == MessageAdded.EVENT_TYPE:
        added = envelope.open(MessageAdded)
        message, case_id = added.message, added.case.id
    else:
        created = envelope.open(CaseCreated)
        if created.first_message is None:
            return 0
        message, case_id = created.first_message, created.case.id
    if not message.email_message_id:
        return 0
    email_message_id = message.email_message_id.strip().strip("<>")
    result = session.execute(
        update(InboundMail).where(InboundMail.message_id == email_message_id).values(case_id=case_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_inbound_mail(*, runtime: Runtime, filters: InboundMailFilter) -> InboundMailPage:
    """Inbound mail, newest first, for the audit view."""
    query = select(InboundMail).join(Mailbox).order_by(InboundMail.id.desc()).limit(filters.limit + 1)
    conditions: list[Any] = []
    if filters.mailbox:
        conditions.append(Mailbox.address == filters.mailbox.lower())
    if filters.status:
        conditions.append(InboundMail.status == filters.status.value)
    if filters.kind:
        conditions.append(InboundMail.kind == filters.kind.value)
    if filters.case_id is not None:
        conditions.append(InboundMail.case_id == filters.case_id)
    if filters.message_id:
        conditions.append(InboundMail.message_id == filters.message_id.strip("<>"))
    if filters.before_id is not None:
        conditions.append(InboundMail.id < filters.before_id)
    with runtime.session_factory() as session:
        rows = session.scalars(query.where(*conditions)).all()
    items = [_read(row) for row in rows[: filters.limit]]
    return InboundMailPage(items=items, next_before_id=items[-1].id if len(rows) > filters.limit else None)


def _read(row: InboundMail) -> InboundMailRead:
    received_at: datetime = row.received_at
    return InboundMailRead(
        id=row.id,
        mailbox=row.mailbox.address,
        source=row.source,
        mail_from=row.mail_from,
        message_id=row.message_id,
        from_email=row.from_email,
        subject=row.subject,
        raw_sha256=row.raw_sha256,
        raw_size=row.raw_size,
        status=row.status,
        failure_reason=row.failure_reason,
        kind=row.kind,
        kind_reason=row.kind_reason,
        thread_case_id=row.thread_case_id,
        thread_reason=row.thread_reason,
        case_id=row.case_id,
        attachments=row.attachments,
        defects=row.defects,
        received_at=received_at,
        processed_at=row.processed_at,
    )
