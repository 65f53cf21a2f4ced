"""Use cases of the worker: process stored mail into `mail_received`, learn cases, list inbound mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, exists, not_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from chassis.blobstore import BlobStore
from chassis.db import unit_of_work, utcnow
from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.cases import AttachmentRef
from contracts.envelope import EventPayload
from contracts.mail_gateway import (
    MailAddress,
    MailReceived,
)
from contracts.tokens import case_number_from_subject
from mail_gateway.db.models import (
    STATUS_FAILED,
    STATUS_PROCESSED,
    STATUS_QUARANTINED,
    STATUS_RECEIVED,
    STATUS_REJECTED,
    STATUS_WAITING,
    CaseRef,
    InboundAttachment,
    InboundMail,
    Mailbox,
)
from mail_gateway.domain.bounces import bounce_events
from mail_gateway.domain.limits import (
    ATTACHMENT_TOO_LARGE,
    MESSAGE_TOO_LARGE,
    may_notify_sender,
    rejection,
    split_attachments,
)
from mail_gateway.domain.mail_event import degraded_mail_received, mail_received, outsider_reply_of
from mail_gateway.domain.thread_decision import KNOWN_MESSAGE_ID, NEW_CASE, decide_thread, thread_candidates
from mail_gateway.mail import nesting
from mail_gateway.mail.classify import classify
from mail_gateway.mail.parse import parse_message
from mail_gateway.metrics import INBOUND_ALERTS, INBOUND_PROCESSED
from mail_gateway.settings import MailGatewaySettings

log = get_logger(__name__)


def process_pending(*, runtime: Runtime, blobs: BlobStore, limit: int) -> int:
    """Process up to `limit` received mails, oldest first; returns how many.

    Up to `rows_per_transaction` rows (a setting, 50) share one transaction: each row's status and its events (outbox)
    still commit together, so a crash or a database error re-processes the whole group, never half
    of a mail. A mail that cannot be read is handled inside `_process_row` and never fails the group.
    The outbox relay is woken only when a transaction emitted events (an idle tick costs one query).
    """
    settings: MailGatewaySettings = runtime.settings
    per_transaction = max(1, settings.rows_per_transaction)
    done = 0
    wait = timedelta(seconds=settings.parent_wait_seconds)
    while done < limit:
        emitted = 0
        with unit_of_work(runtime.session_factory) as session:
            _release_waiting(session, wait)
            rows = session.scalars(
                select(InboundMail)
                .where(InboundMail.status == STATUS_RECEIVED)
                .order_by(InboundMail.id)
                .limit(min(per_transaction, limit - done))
                # competing workers each take different rows instead of waiting on each other
                .with_for_update(skip_locked=True, of=InboundMail)
            ).all()
            if not rows:
                return done
            own_addresses = list(session.scalars(select(Mailbox.address)).all())
            for row in rows:
                for event in _process_row(session, row, runtime, blobs, own_addresses):
                    runtime.emit(session, event)
                    emitted += 1
        if emitted:
            runtime.relay.wake()
        for row in rows:
            if row.status == STATUS_WAITING:
                log.info("inbound_mail_waiting", inbound_mail_id=row.id, waiting_for=row.waiting_for)
                continue
            INBOUND_PROCESSED.labels(row.kind or "unknown", row.status).inc()
            log.info(
                "inbound_mail_processed",
                inbound_mail_id=row.id,
                status=row.status,
                kind=row.kind,
                thread=row.thread_reason,
                case_id=row.thread_case_id,
            )
        done += len(rows)
    return done


def _process_row(
    session: Session, row: InboundMail, runtime: Runtime, blobs: BlobStore, own_addresses: list[str]
) -> list[EventPayload]:
    """Parse, store attachments, classify, thread; on a content failure, a degraded event (never a retry loop)."""
    settings: MailGatewaySettings = runtime.settings
    try:
        if row.raw_size > settings.max_message_bytes:
            return _reject_oversized(row, runtime, blobs, own_addresses)
        events = _read_mail(session, row, runtime, blobs, own_addresses)
    except SQLAlchemyError:
        raise  # the database is down: leave the row `received`, the next tick retries it
    except WaitForParent as exc:
        # read again once the mail it answers is threaded; the deadline is set once, never pushed back
        row.status, row.waiting_for = STATUS_WAITING, exc.parent_id
        row.wait_until = row.wait_until or utcnow() + timedelta(seconds=settings.parent_wait_seconds)
        return []
    except Quarantined as exc:
        return _quarantine(row, reason=exc.reason, kind_reason=exc.kind_reason, defect=exc.defect)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        if not (row.from_email or row.mail_from):
            # nobody to answer and nothing to show: keep it raw and tell a person, never block the queue
            return _quarantine(row, reason=reason, kind_reason="unreadable", defect=f"processing:{type(exc).__name__}")
        row.processed_at = utcnow()
        log.error("inbound_mail_unreadable", inbound_mail_id=row.id, error=reason)
        event = degraded_mail_received(
            inbound_mail_id=row.id,
            mailbox=row.mailbox.address,
            default_group=row.mailbox.default_group,
            outsider_reply=outsider_reply_of(row.mailbox.outsider_reply),
            message_id=row.message_id,
            from_email=row.from_email or row.mail_from,
            subject=row.subject,
            defects=[f"processing:{type(exc).__name__}"],
        )
        row.status, row.failure_reason = STATUS_FAILED, reason
        events = [event]
    else:
        event = cast(MailReceived, events[0])
        row.status = STATUS_FAILED if _parse_failed(event.defects) else STATUS_PROCESSED
        row.failure_reason = "; ".join(d for d in event.defects if d.startswith("parse:")) or None
    row.kind, row.kind_reason = event.kind.value, event.kind_reason
    row.thread_case_id, row.thread_reason = event.thread.case_id, event.thread.reason
    row.in_reply_to, row.references = event.in_reply_to, event.references
    row.attachments = [a.model_dump(mode="json") for a in event.attachments]
    session.add_all(  # the attachment lookup's table (decision 0217), each distinct file once
        InboundAttachment(sha256=sha, inbound_mail_id=row.id) for sha in {a.sha256 for a in event.attachments}
    )
    row.defects = event.defects
    row.processed_at = utcnow()
    return events


class Quarantined(Exception):
    """A mail that must not become a case, whoever sent it: kept raw, a person alerted."""

    def __init__(self, *, reason: str, kind_reason: str, defect: str) -> None:
        super().__init__(reason)
        self.reason, self.kind_reason, self.defect = reason, kind_reason, defect


class WaitForParent(Exception):
    """The mail answers a mail we hold that is not threaded yet: it must not overtake it."""

    def __init__(self, parent_id: int) -> None:
        super().__init__(parent_id)
        self.parent_id = parent_id


def _quarantine(row: InboundMail, *, reason: str, kind_reason: str, defect: str) -> list[EventPayload]:
    """Kept raw with its reason, no event: never a case, never blocking the queue; alerted."""
    log.error("inbound_mail_quarantined", inbound_mail_id=row.id, error=reason, alert=True)
    INBOUND_ALERTS.labels("quarantined").inc()
    row.status, row.failure_reason = STATUS_QUARANTINED, reason
    row.kind, row.kind_reason, row.defects = None, kind_reason, [defect]
    row.processed_at = utcnow()
    return []


def _parse_failed(defects: list[str]) -> bool:
    """The parser gave up on the MIME structure and fell back to the raw header block."""
    return any(d.startswith("parse:") for d in defects)


def _read_mail(
    session: Session, row: InboundMail, runtime: Runtime, blobs: BlobStore, own_addresses: list[str]
) -> list[EventPayload]:
    """`mail_received` first, then `mail_bounced` per hard-bounced recipient and `mail_rejected` if needed."""
    settings: MailGatewaySettings = runtime.settings
    parsed = parse_message(blobs.get(row.raw_sha256))
    if nesting.TOO_DEEP in parsed.defects:
        # an attack on the parser, not a customer's mail: nothing of it is shown or answered
        raise Quarantined(
            reason=f"MIME parts nested deeper than {nesting.MAX_DEPTH} levels: not read, no case opened",
            kind_reason="nested_too_deep",
            defect=nesting.TOO_DEEP,
        )
    classification = classify(parsed, own_addresses)
    bounced_id = classification.bounce.original_message_id if classification.bounce else None
    candidates = thread_candidates(parsed.in_reply_to, [*parsed.references, *([bounced_id] if bounced_id else [])])
    subject_number = case_number_from_subject(parsed.subject, secret=settings.secret_key)
    mails = _mails_named(session, candidates, row.id)
    thread = decide_thread(
        candidates=candidates,
        secret=settings.secret_key,
        known_cases=_known_cases(mails),
        recipients=[*row.rcpt_to, *(a.email for a in parsed.to), *(a.email for a in parsed.cc)],
        subject=parsed.subject,
        case_of_number=_case_of_number(session, subject_number),
    )
    now = utcnow()
    if thread.reason in (KNOWN_MESSAGE_ID, NEW_CASE) and (row.wait_until is None or now < row.wait_until):
        parent_id = _unthreaded_parent(
            candidates, mails, row.id, processed_after=now - timedelta(seconds=settings.parent_wait_seconds)
        )
        if parent_id is not None:
            raise WaitForParent(parent_id)
    split = split_attachments(parsed.attachments, max_bytes=settings.max_attachment_bytes)
    attachments = [
        AttachmentRef(
            filename=a.filename,
            content_type=a.content_type,
            size=len(a.data),
            sha256=blobs.put(a.data),
            content_id=a.content_id,
            inline=a.inline,
        )
        for a in split.kept
    ]
    event = mail_received(
        inbound_mail_id=row.id,
        mailbox=row.mailbox.address,
        default_group=row.mailbox.default_group,
        outsider_reply=outsider_reply_of(row.mailbox.outsider_reply),
        message_id=row.message_id,
        parsed=parsed,
        classification=classification,
        thread=thread,
        attachments=attachments,
        envelope_sender=row.mail_from,
        max_body_chars=settings.max_body_chars,
        own_addresses=own_addresses,
    )
    for left_out in split.left_out:
        event.defects.append(f"attachment:too_large:{left_out.filename}")
    events: list[EventPayload] = [event]
    events.extend(bounce_events(inbound_mail_id=row.id, classification=classification, case_id=thread.case_id))
    if split.left_out and may_notify_sender(
        kind=classification.kind, sender=event.from_address.email, own_addresses=own_addresses
    ):
        INBOUND_ALERTS.labels("attachment_too_large").inc()
        events.append(
            rejection(
                inbound_mail_id=row.id,
                mailbox=row.mailbox.address,
                sender=event.from_address,
                subject=event.subject,
                message_id=event.message_id,
                reason=ATTACHMENT_TOO_LARGE,
                limit_bytes=settings.max_attachment_bytes,
                size_bytes=max(len(a.data) for a in split.left_out),
                filenames=[a.filename for a in split.left_out],
                case_created=classification.kind == "normal",
            )
        )
    return events


def _reject_oversized(
    row: InboundMail, runtime: Runtime, blobs: BlobStore, own_addresses: list[str]
) -> list[EventPayload]:
    """Over the message limit: recorded (raw kept), no case; only a person's mail gets the notice."""
    settings: MailGatewaySettings = runtime.settings
    raw = blobs.get(row.raw_sha256)
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]  # the headers are enough to classify
    parsed = parse_message(head + b"\r\n\r\n")
    classification = classify(parsed, own_addresses)
    sender = parsed.from_address.email if parsed.from_address else (row.mail_from or "")
    row.status, row.failure_reason = (
        STATUS_REJECTED,
        f"{MESSAGE_TOO_LARGE}: {row.raw_size} > {settings.max_message_bytes}",
    )
    row.kind, row.kind_reason = classification.kind, classification.reason
    row.defects, row.processed_at = [MESSAGE_TOO_LARGE], utcnow()
    INBOUND_ALERTS.labels(MESSAGE_TOO_LARGE).inc()
    if not may_notify_sender(kind=classification.kind, sender=sender, own_addresses=own_addresses):
        return []
    name = parsed.from_address.name if parsed.from_address else ""
    return [
        rejection(
            inbound_mail_id=row.id,
            mailbox=row.mailbox.address,
            sender=MailAddress(email=sender.lower(), name=name),
            subject=parsed.subject or row.subject,
            message_id=row.message_id,
            reason=MESSAGE_TOO_LARGE,
            limit_bytes=settings.max_message_bytes,
            size_bytes=row.raw_size,
        )
    ]


def _case_of_number(session: Session, number: int | None) -> dict[int, int]:
    """The case id of a case number we learned from `case_created` (empty when unknown)."""
    if number is None:
        return {}
    case_id = session.scalar(select(CaseRef.case_id).where(CaseRef.number == number))
    return {number: case_id} if case_id is not None else {}


@dataclass(frozen=True)
class _NamedMail:
    """A stored mail whose Message-ID a new mail names: what threading needs to know of it."""

    id: int
    message_id: str
    status: str
    kind: str | None
    case_id: int | None
    processed_at: datetime | None
    waiting_for: int | None


def _mails_named(session: Session, message_ids: list[str], own_id: int) -> list[_NamedMail]:
    """Every other stored mail with one of `message_ids`, newest first (one indexed query)."""
    if not message_ids:
        return []
    rows = session.execute(
        select(
            InboundMail.id,
            InboundMail.message_id,
            InboundMail.status,
            InboundMail.kind,
            InboundMail.case_id,
            InboundMail.processed_at,
            InboundMail.waiting_for,
        )
        .where(InboundMail.message_id.in_(message_ids), InboundMail.id != own_id)
        .order_by(InboundMail.id.desc())
    ).all()
    return [
        _NamedMail(
            id=mail_id,
            message_id=message_id or "",  # never empty: the query matched it
            status=status,
            kind=kind,
            case_id=case_id,
            processed_at=processed_at,
            waiting_for=waiting_for,
        )
        for mail_id, message_id, status, kind, case_id, processed_at, waiting_for in rows
    ]


def _known_cases(mails: list[_NamedMail]) -> dict[str, int]:
    """Customer Message-IDs whose mail we know became part of a case (the newest mail's case wins)."""
    known: dict[str, int] = {}
    for mail in mails:
        if mail.case_id is not None:
            known.setdefault(mail.message_id, mail.case_id)
    return known


def _unthreaded_parent(
    candidates: list[str], mails: list[_NamedMail], own_id: int, *, processed_after: datetime
) -> int | None:
    """The mail this one must wait for: the first candidate, in threading order, that we hold but that is not
    threaded yet; None when an earlier candidate already names a case (it decides) or nothing is pending."""
    by_message_id: dict[str, list[_NamedMail]] = {}
    for mail in mails:
        by_message_id.setdefault(mail.message_id, []).append(mail)
    for candidate in candidates:
        named = by_message_id.get(candidate, [])
        if any(mail.case_id is not None for mail in named):
            return None
        for mail in named:
            if _not_threaded(mail, own_id, processed_after):
                return mail.id
    return None


def _not_threaded(mail: _NamedMail, own_id: int, processed_after: datetime) -> bool:
    """Not yet threaded: not read yet, waiting itself, or handed to cases recently and no case learned yet.

    Two mails waiting for each other (each names the other): the older one goes first. A mail cases
    has not answered for within the wait (it dropped it, or holds it for approval) counts as threaded.
    """
    if mail.status == STATUS_RECEIVED:
        return True
    if mail.status == STATUS_WAITING:
        return not (mail.waiting_for == own_id and own_id < mail.id)
    return (
        mail.status in (STATUS_PROCESSED, STATUS_FAILED)
        and mail.kind == "normal"
        and mail.case_id is None
        and mail.processed_at is not None
        and mail.processed_at > processed_after
    )


def _release_waiting(session: Session, wait: timedelta) -> None:
    """Waiting replies whose mail is threaded (or quarantined, rejected, gone), or whose deadline passed, are
    `received` again; the same test as `_not_threaded`, in one statement over the waiting rows only.

    Rows another worker is releasing are skipped, not waited for (competing workers never block).
    """
    now = utcnow()
    table = cast(Table, InboundMail.__table__)
    child, parent = table.alias("child"), table.alias("parent")
    parent_not_threaded = exists().where(
        parent.c.id == child.c.waiting_for,
        or_(
            parent.c.status == STATUS_RECEIVED,
            and_(
                parent.c.status == STATUS_WAITING,
                not_(and_(parent.c.waiting_for == child.c.id, child.c.id < parent.c.id)),
            ),
            and_(
                parent.c.status.in_((STATUS_PROCESSED, STATUS_FAILED)),
                parent.c.kind == "normal",
                parent.c.case_id.is_(None),
                parent.c.processed_at > now - wait,
            ),
        ),
    )
    ready = (
        select(child.c.id)
        .where(child.c.status == STATUS_WAITING, or_(child.c.wait_until <= now, not_(parent_not_threaded)))
        .with_for_update(skip_locked=True, of=child)
    )
    session.execute(
        update(table).where(table.c.id.in_(ready.scalar_subquery())).values(status=STATUS_RECEIVED),
        execution_options={"synchronize_session": False},
    )
