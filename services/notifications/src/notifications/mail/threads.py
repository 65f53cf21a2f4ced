"""The Message-IDs of each case's mail, and the threading headers a new mail of the case gets from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.db.models import ThreadRef
from notifications.mail import confirm_group
from notifications.mail.rules import ThreadEntry, ThreadHeaders, reply_headers


def remember_message_id(
    *, session: Session, case_id: int, email_message_id: str, author_type: str, created_at: datetime
) -> None:
    """Record a Message-ID of a case once (concurrent events may carry the same one)."""
    confirm_group.remember(
        session,
        [
            confirm_group.thread_ref(
                case_id=case_id, email_message_id=email_message_id, author_type=author_type, created_at=created_at
            )
        ],
    )


def threading_for(*, session: Session, case_id: int, fallback: str | None) -> ThreadHeaders:
    """In-Reply-To and References of a new mail of the case; `fallback`: the customer mail it answers, if known."""
    rows = session.scalars(select(ThreadRef).where(ThreadRef.case_id == case_id)).all()
    headers = reply_headers([ThreadEntry(r.email_message_id, r.author_type, r.created_at) for r in rows])
    if headers.in_reply_to is None and fallback:
        # the event names the customer mail being answered, though we never saw it: still thread on it
        refs = headers.references if fallback in headers.references else [*headers.references, fallback]
        return ThreadHeaders(in_reply_to=fallback, references=refs)
    return headers
