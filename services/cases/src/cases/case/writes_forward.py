"""Forwards (B4): a side conversation with external recipients, kept on the case, never sent to the requester."""

from __future__ import annotations

from sqlalchemy import select

from cases.attachments.reads import attachment_read
from cases.attachments.tables import CaseAttachment
from cases.case.tables import Message
from cases.common import repo
from cases.common.case_state import touch
from cases.common.runtime import Runtime
from chassis.db import utcnow
from contracts.case_work import ForwardCreate, MessageForwarded, MessageKind
from contracts.cases import Actor, MessageRead, Visibility
from contracts.errors import ValidationFailed


def forward_case(*, runtime: Runtime, case_id: int, data: ForwardCreate, actor: Actor) -> MessageRead:
    """Record a forward on the case and emit `message_forwarded` for notifications to send."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        attachments = []
        if data.attachment_ids:
            rows = session.scalars(
                select(CaseAttachment).where(
                    CaseAttachment.id.in_(data.attachment_ids), CaseAttachment.case_id == case.id
                )
            ).all()
            missing = sorted(set(data.attachment_ids) - {r.id for r in rows})
            if missing:
                raise ValidationFailed(message="attachments not on this case", details={"attachment_ids": missing})
            attachments = [attachment_read(r) for r in rows]
        recipients = [str(r).lower() for r in data.recipients]
        cc = [str(r).lower() for r in data.cc]
        now = utcnow()
        message = Message(
            case_id=case.id,
            author_type=actor.type.value,
            author_id=actor.id,
            author_name=actor.name,
            author_email=actor.email,
            # internal: the requester never sees a side conversation
            visibility=Visibility.INTERNAL.value,
            channel=actor.channel.value,
            body_text=data.body,
            kind=MessageKind.FORWARD.value,
            recipients=recipients + cc,
            attachments=[],
            created_at=now,
        )
        session.add(message)
        session.flush()
        repo.record_history(
            session, case=case, field="forwarded", old=None, new=", ".join(recipients + cc), actor=actor
        )
        touch(case, now)
        case_read = repo.case_read(repo.refreshed(session, case))
        message_read = repo.message_read(message)
        runtime.emit(
            session,
            MessageForwarded(
                case=case_read,
                message=message_read,
                recipients=recipients,
                cc=cc,
                subject=data.subject or f"Fwd: {case.title}",
                attachments=attachments,
                actor=actor,
            ),
        )
        return message_read
